//! The one place that includes WGSL sources. Each file in `shaders/` is one op
//! family; its entry points are named `<op>_<pass>`.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shader {
    Matmul,
    MatmulLanes8,
    Elementwise,
    Reduce,
    Fill,
    Random,
    Norm,
    Optim,
    Penalty,
    Toy,
    Conv,
    Data,
}

impl Shader {
    pub const ALL: [Shader; 12] = [
        Shader::Matmul,
        Shader::MatmulLanes8,
        Shader::Elementwise,
        Shader::Reduce,
        Shader::Fill,
        Shader::Random,
        Shader::Norm,
        Shader::Optim,
        Shader::Penalty,
        Shader::Toy,
        Shader::Conv,
        Shader::Data,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Shader::Matmul => "matmul.wgsl",
            Shader::MatmulLanes8 => "matmul_lanes8.wgsl",
            Shader::Elementwise => "elementwise.wgsl",
            Shader::Reduce => "reduce.wgsl",
            Shader::Fill => "fill.wgsl",
            Shader::Random => "random.wgsl",
            Shader::Norm => "norm.wgsl",
            Shader::Optim => "optim.wgsl",
            Shader::Penalty => "penalty.wgsl",
            Shader::Toy => "toy.wgsl",
            Shader::Conv => "conv.wgsl",
            Shader::Data => "data.wgsl",
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            Shader::Matmul => include_str!("../../shaders/matmul.wgsl"),
            Shader::MatmulLanes8 => include_str!("../../shaders/matmul_lanes8.wgsl"),
            Shader::Elementwise => include_str!("../../shaders/elementwise.wgsl"),
            Shader::Reduce => include_str!("../../shaders/reduce.wgsl"),
            Shader::Fill => include_str!("../../shaders/fill.wgsl"),
            Shader::Random => include_str!("../../shaders/random.wgsl"),
            Shader::Norm => include_str!("../../shaders/norm.wgsl"),
            Shader::Optim => include_str!("../../shaders/optim.wgsl"),
            Shader::Penalty => include_str!("../../shaders/penalty.wgsl"),
            Shader::Toy => include_str!("../../shaders/toy.wgsl"),
            Shader::Conv => include_str!("../../shaders/conv.wgsl"),
            Shader::Data => include_str!("../../shaders/data.wgsl"),
        }
    }

    /// Uses subgroup builtins: only devices with the SUBGROUP feature can
    /// create it, so its one caller checks `Gpu::lanes8` first.
    pub fn needs_subgroups(self) -> bool {
        matches!(self, Shader::MatmulLanes8)
    }

    /// Shaders whose every index is clamped or guarded in the source may skip
    /// wgpu's injected bounds checks: on lavapipe they cost ~20% of matmul
    /// throughput (DESIGN.md). The kernel tests prove the guards.
    pub(crate) fn runtime_bounds_checks(self) -> bool {
        !matches!(self, Shader::Matmul | Shader::MatmulLanes8)
    }
}
