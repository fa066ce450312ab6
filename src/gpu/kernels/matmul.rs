//! Launcher for `shaders/matmul.wgsl`: `C = act(op(A)·op(B) + bias)`, batched.

use super::as_u32;
use super::conv::{Conv2dSpec, ConvShape};
use super::elementwise::{Unary, unary_into};
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

/// Activation fused into the matmul epilogue (on lavapipe's kernel, tanh and
/// sigmoid run as a pass after it: `launch`). Codes match `matmul.wgsl`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Activation {
    #[default]
    None,
    Relu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
}

impl Activation {
    /// `kernel` specialised to this activation by its shader's `ACT`
    /// override constant (matmul.wgsl, conv.wgsl, norm.wgsl): NIR then
    /// drops the other cases. A switch on a uniform code made batch norm's
    /// apply take ~1.4× as long in W3 on lavapipe (BENCHMARKS.md item 48).
    /// The lavapipe matmul reads `act` from its params instead, with
    /// selects, so that one variant serves every activation.
    pub(crate) fn specialise(self, kernel: Kernel) -> Kernel {
        kernel.with("ACT", f64::from(self.code_and_slope().0))
    }

    pub(crate) fn code_and_slope(self) -> (u32, f32) {
        match self {
            Activation::None => (0, 0.0),
            Activation::Relu => (1, 0.0),
            Activation::LeakyRelu(s) => (2, s),
            Activation::Tanh => (3, 0.0),
            Activation::Sigmoid => (4, 0.0),
        }
    }
}

/// Which operands are transposed, and the fused activation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MatmulSpec {
    pub trans_a: bool,
    pub trans_b: bool,
    pub activation: Activation,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    has_bias: u32,
    stride_a: u32,
    stride_b: u32,
    stride_c: u32,
    act: u32,
    slope: f32,
    splits: u32,
    chunk: u32,
    batch: u32,
    /// The lavapipe kernel's own fields, where matmul.wgsl's Params ends:
    /// the implicit conv operand and output (`ImplicitConv`; zero
    /// otherwise), then whether A and B are transposed (uniforms there,
    /// override constants in matmul.wgsl).
    conv: [u32; 14],
    trans_a: u32,
    trans_b: u32,
}

/// Sizes of one matmul, derived from the operand shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulShape {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// Per-batch element strides; 0 when the operand is shared by all batches.
    pub stride_a: usize,
    pub stride_b: usize,
}

impl MatmulShape {
    pub fn output(&self) -> Vec<usize> {
        if self.batch == 1 && self.stride_a == 0 && self.stride_b == 0 {
            vec![self.m, self.n]
        } else {
            vec![self.batch, self.m, self.n]
        }
    }

    pub fn flops(&self) -> f64 {
        2.0 * (self.batch * self.m * self.n * self.k) as f64
    }
}

/// Splits a 2-D or 3-D shape into (batch, rows, cols); batch is None for 2-D.
fn split(op_name: &str, shape: &[usize]) -> Result<(Option<usize>, usize, usize)> {
    match *shape {
        [r, c] => Ok((None, r, c)),
        [b, r, c] => Ok((Some(b), r, c)),
        _ => Err(Error::Invalid {
            op: "matmul",
            reason: format!("{op_name} must be 2-D or 3-D (batch, rows, cols), found {shape:?}"),
        }),
    }
}

/// Checks the operands and derives the sizes. A 2-D operand beside a 3-D one
/// is broadcast over the batch.
pub fn matmul_shape(a: &[usize], b: &[usize], spec: &MatmulSpec) -> Result<MatmulShape> {
    let (ba, ar, ac) = split("A", a)?;
    let (bb, br, bc) = split("B", b)?;
    let (m, ka) = if spec.trans_a { (ac, ar) } else { (ar, ac) };
    let (kb, n) = if spec.trans_b { (bc, br) } else { (br, bc) };
    if ka != kb {
        return Err(Error::Shape {
            op: "matmul",
            what: format!(
                "A {a:?}{} and B {b:?}{} differ in the inner dimension",
                if spec.trans_a { " transposed" } else { "" },
                if spec.trans_b { " transposed" } else { "" }
            ),
            expected: vec![ka],
            found: vec![kb],
        });
    }
    if ka == 0 {
        // Every kernel's K loop and split assume at least one term.
        return Err(Error::Invalid {
            op: "matmul",
            reason: format!("A {a:?} and B {b:?} have an empty inner dimension (K = 0)"),
        });
    }
    let batch = match (ba, bb) {
        (Some(x), Some(y)) if x != y => {
            return Err(Error::Shape {
                op: "matmul",
                what: format!("A {a:?} and B {b:?} differ in the batch dimension"),
                expected: vec![x],
                found: vec![y],
            });
        }
        (x, y) => x.or(y).unwrap_or(1),
    };
    Ok(MatmulShape {
        batch,
        m,
        n,
        k: ka,
        stride_a: if ba.is_some() { m * ka } else { 0 },
        stride_b: if bb.is_some() { ka * n } else { 0 },
    })
}

/// Work the K split aims for: lanes for the one-output-per-invocation
/// kernel, workgroups for the tiled ones. Enough to fill a GPU, and every
/// core of lavapipe; a weight gradient (K = batch·pixels, a few hundred
/// outputs) would otherwise run on one workgroup.
const THIN_TARGET_INVOCATIONS: usize = 16_384;
/// Outputs with fewer rows or columns than this take the one-output-per-
/// invocation split-K kernel: a register tile would idle most of its rows.
pub const THIN_OUTPUT: usize = 8;
const TILED_TARGET_WORKGROUPS_GPU: usize = 64;

/// Workgroups the tiled kernels should fill: many on a GPU; on a CPU
/// adapter two per core, since the extra reduce pass of a split costs more
/// than idle lanes there (256³ ran at 7.5 GFLOP/s split in two, 9.1 whole).
fn tiled_target(gpu: &Gpu) -> usize {
    if gpu.is_cpu() {
        2 * std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        TILED_TARGET_WORKGROUPS_GPU
    }
}
/// Shortest K chunk worth a partial sum, per kernel kind (a multiple of 4
/// for the vec4 kernel).
const THIN_MIN_CHUNK: usize = 32;
const TILED_MIN_CHUNK: usize = 128;

/// (splits, chunk): `wanted` chunks at most, none shorter than `min_chunk`.
fn k_splits(wanted: usize, k: usize, min_chunk: usize) -> (usize, usize) {
    let splits = wanted.clamp(1, k.div_ceil(min_chunk).max(1));
    let chunk = k.div_ceil(splits).next_multiple_of(4);
    (k.div_ceil(chunk), chunk)
}

/// The kernel for one matmul and how K is split: (entry, output elements per
/// workgroup along N and M, first binding, splits, chunk). `lanes8` and
/// `tiles`: the lavapipe kernel, or the workgroup-memory one, may run
/// (`Gpu::lanes8`, `Gpu::workgroup_tiles`). `image`: the lavapipe kernel
/// stores the products into a conv's output image (`B_CONV`), so K is never
/// split (the choice of kernel does not depend on the split).
fn plan(
    s: &MatmulShape,
    target_workgroups: usize,
    (lanes8, tiles): (bool, bool),
    image: bool,
) -> (&'static str, [usize; 2], u32, usize, usize) {
    let outputs = s.batch * s.m * s.n;
    if s.m < THIN_OUTPUT || s.n < THIN_OUTPUT {
        let wanted = THIN_TARGET_INVOCATIONS.div_ceil(outputs);
        let (splits, chunk) = k_splits(wanted, s.k, THIN_MIN_CHUNK);
        return ("matmul_split_partial", [0, 0], 1, splits, chunk);
    }
    let vec4 = s.m.is_multiple_of(4) && s.n.is_multiple_of(4) && s.k.is_multiple_of(4);
    let (entry, tile, binding) = if vec4 && lanes8 {
        // Bias and output at 7 and 8 as in the vec4 kernel; A and B are
        // textures at 9 and 10, so bindings 5 and 6 go unused.
        (LANES8, [32, 32], 5)
    } else if vec4 && tiles {
        // The vec4 kernel's tile, grid and bindings.
        (TILED, [64, 64], 5)
    } else if vec4 {
        ("matmul_forward_vec4", [64, 64], 5)
    } else {
        ("matmul_forward", [32, 32], 1)
    };
    let tiles = s.batch * s.n.div_ceil(tile[0]) * s.m.div_ceil(tile[1]);
    let wanted = if image {
        1
    } else {
        target_workgroups.div_ceil(tiles)
    };
    let (splits, chunk) = k_splits(wanted, s.k, TILED_MIN_CHUNK);
    (entry, tile, binding, splits, chunk)
}

const LANES8: &str = "matmul_forward_lanes8";
const LANES8_IMAGE: &str = "matmul_image_lanes8";
const TILED: &str = "matmul_tiled";

/// Whether the lavapipe kernel may run: the adapter allows it and both
/// operands fit its textures (`Gpu::operand_texture_height`; only operands of
/// more than 2^28 values do not).
fn lanes8_fits(gpu: &Gpu, a: &[usize], b: &[usize]) -> bool {
    gpu.lanes8() && fits_texture(gpu, a) && fits_texture(gpu, b)
}

/// Whether an operand of this shape fits the lavapipe kernel's textures.
fn fits_texture(gpu: &Gpu, shape: &[usize]) -> bool {
    gpu.operand_texture_height(shape.iter().product()).is_some()
}

/// The entry point `matmul_into` on `gpu` runs for operands of these shapes
/// (before any split-K reduce or activation pass), e.g.
/// "matmul_forward_lanes8" where the lavapipe kernel fetches them as texels.
pub fn matmul_entry(
    gpu: &Gpu,
    a: &[usize],
    b: &[usize],
    spec: &MatmulSpec,
) -> Result<&'static str> {
    let s = matmul_shape(a, b, spec)?;
    let kernels = (lanes8_fits(gpu, a, b), gpu.workgroup_tiles());
    Ok(plan(&s, tiled_target(gpu), kernels, false).0)
}

/// `op(A)·op(B) + bias`, then the activation, into a new tensor.
pub fn matmul(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    spec: &MatmulSpec,
) -> Result<Tensor> {
    let out = gpu.empty(&matmul_shape(a.shape(), b.shape(), spec)?.output())?;
    matmul_into(gpu, a, b, bias, &out, spec)?;
    Ok(out)
}

/// As `matmul`, writing into `out`.
pub fn matmul_into(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    out: &Tensor,
    spec: &MatmulSpec,
) -> Result<()> {
    let s = matmul_shape(a.shape(), b.shape(), spec)?;
    expect_shape("matmul", "output", &s.output(), out.shape())?;
    if let Some(bias) = bias {
        expect_shape("matmul", "bias", &[s.n], bias.shape())?;
    }
    launch(gpu, &s, (a, b, bias, out), spec, None)
}

/// The im2col matrix of a conv's input that the lavapipe kernel reads
/// straight from x held NHWC (`B_CONV` in shaders/matmul_lanes8.wgsl):
/// rows over (ky, kx, c), columns over (n, oy, ox); and where the products
/// go: output pixel (oy, ox) of channel o at (oy·step + py, ox·step + px)
/// of plane o of an NCHW image `step` times the output's size. Step 2 makes
/// the four output phases (py, px) of a stride-2 transposed conv in one
/// dispatch, phase z = py·2 + px with the weights A[z] and the padding
/// `pad` − (py, px).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImplicitConv {
    pub shape: ConvShape,
    pub stride: usize,
    /// Zero rows above and columns left of x (phase (0, 0)'s for step 2).
    pub pad: [usize; 2],
    pub step: usize,
}

impl ImplicitConv {
    pub fn of(shape: &ConvShape, spec: Conv2dSpec) -> Self {
        Self {
            shape: *shape,
            stride: spec.stride,
            pad: [spec.padding; 2],
            step: 1,
        }
    }

    /// The NCHW image the products go into.
    pub fn image(&self) -> [usize; 4] {
        let s = &self.shape;
        [s.batch, s.o, s.oh * self.step, s.ow * self.step]
    }

    /// The forward's product, batched over the phases for step 2 (x, the
    /// B operand, shared).
    fn matmul_shape(&self) -> MatmulShape {
        let s = &self.shape;
        let (m, k) = (s.o, s.kh * s.kw * s.c);
        let phases = self.step * self.step;
        MatmulShape {
            batch: phases,
            m,
            n: s.batch * s.oh * s.ow,
            k,
            stride_a: if phases > 1 { m * k } else { 0 },
            stride_b: 0,
        }
    }

    /// The weights the forward takes: [O, KH·KW·C], one per phase.
    fn weights(&self) -> Vec<usize> {
        let m = self.matmul_shape();
        if m.batch == 1 {
            vec![m.m, m.k]
        } else {
            vec![m.batch, m.m, m.k]
        }
    }

    /// The weight gradient's product (step 1), transposed: dwᵀ [KH·KW·C,
    /// O] = im2col(x) [KH·KW·C, B·OH·OW] · dy [B·OH·OW, O].
    fn weight_grad_shape(&self) -> MatmulShape {
        let m = self.matmul_shape();
        MatmulShape {
            m: m.k,
            n: m.m,
            k: m.n,
            ..m
        }
    }

    /// Channels and kernel width as the kernel splits a row index: C (a
    /// multiple of 4) and KW powers of two; and x fits its texture.
    fn texel_friendly(&self, gpu: &Gpu) -> bool {
        let s = &self.shape;
        s.c >= 4
            && s.c.is_power_of_two()
            && s.kw.is_power_of_two()
            && fits_texture(gpu, &[s.batch * s.h * s.w, s.c])
    }

    /// Whether the lavapipe kernel takes this conv: it runs there, the
    /// operands fit its textures, and C (a multiple of 4) and KW are powers
    /// of two, so that the kernel splits a row index with shifts.
    pub fn fits(&self, gpu: &Gpu) -> bool {
        let m = self.matmul_shape();
        self.texel_friendly(gpu)
            && gpu.lanes8()
            && fits_texture(gpu, &self.weights())
            && plan(&m, tiled_target(gpu), (true, false), true).0 == LANES8
    }

    /// Checks x held NHWC ([B·H·W, C]), and refuses a conv the lavapipe
    /// kernel does not take (`fits` says whether it does).
    fn check_input(&self, op: &'static str, x_nhwc: &Tensor, fits: bool) -> Result<()> {
        let s = &self.shape;
        expect_shape(op, "input", &[s.batch * s.h * s.w, s.c], x_nhwc.shape())?;
        if !fits {
            return Err(Error::Invalid {
                op,
                reason: format!("{s:?} does not take the lavapipe kernel"),
            });
        }
        Ok(())
    }

    /// As `fits`, for the weight gradient (`conv_weight_grad_matmul_into`).
    pub fn weight_grad_fits(&self, gpu: &Gpu) -> bool {
        let m = self.weight_grad_shape();
        self.step == 1
            && self.texel_friendly(gpu)
            && gpu.lanes8()
            && fits_texture(gpu, &[m.k, m.n])
            && plan(&m, tiled_target(gpu), (true, false), false).0 == LANES8
    }

    fn params(&self) -> Result<[u32; 14]> {
        let s = &self.shape;
        let u = |what, v| as_u32("conv matmul", what, v);
        let [_, _, height, width] = self.image();
        Ok([
            s.c.trailing_zeros(),
            s.kw.trailing_zeros(),
            u("height", s.h)?,
            u("width", s.w)?,
            u("stride", self.stride)?,
            u("padding above", self.pad[0])?,
            u("padding left", self.pad[1])?,
            u("output width", s.ow)?,
            u("output pixels", s.oh * s.ow)?,
            u("output plane", height * width)?,
            u("output row step", self.step * width)?,
            u("output step", self.step)?,
            u("image width", width)?,
            u("output height", s.oh)?,
        ])
    }
}

/// act(a [O, KH·KW·C] · im2col(x) + bias per row) for `conv` into
/// `out` (`conv.image()`, NCHW), x being the conv's input as [B·H·W, C]
/// (a is [4, O, KH·KW·C] for step 2, one per phase); only where
/// `conv.fits`.
pub(crate) fn conv_matmul_into(
    gpu: &Gpu,
    (a, x_nhwc): (&Tensor, &Tensor),
    conv: &ImplicitConv,
    (bias, act): (Option<&Tensor>, Activation),
    out: &Tensor,
) -> Result<()> {
    let s = conv.matmul_shape();
    expect_shape("conv matmul", "weights", &conv.weights(), a.shape())?;
    conv.check_input("conv matmul", x_nhwc, conv.fits(gpu))?;
    expect_shape("conv matmul", "output", &conv.image(), out.shape())?;
    if let Some(bias) = bias {
        expect_shape("conv matmul", "bias", &[s.m], bias.shape())?;
    }
    let spec = MatmulSpec {
        trans_b: true,
        activation: act,
        ..MatmulSpec::default()
    };
    launch(
        gpu,
        &s,
        (a, x_nhwc, bias, out),
        &spec,
        Some(ConvOperand::ForwardB(conv)),
    )
}

/// out [KH·KW·C, O] = im2col(x) · dy for `conv`, x being the conv's input
/// as [B·H·W, C] and dy its output gradient as [B·OH·OW, O] (both NHWC):
/// its weight gradient transposed, the taps before the channels; only
/// where `conv.weight_grad_fits`.
pub(crate) fn conv_weight_grad_matmul_into(
    gpu: &Gpu,
    (x_nhwc, dy_nhwc): (&Tensor, &Tensor),
    conv: &ImplicitConv,
    out: &Tensor,
) -> Result<()> {
    let s = conv.weight_grad_shape();
    let fits = conv.weight_grad_fits(gpu);
    conv.check_input("conv weight matmul", x_nhwc, fits)?;
    let op = "conv weight matmul";
    expect_shape(op, "output gradient", &[s.k, s.n], dy_nhwc.shape())?;
    expect_shape(op, "output", &s.output(), out.shape())?;
    let spec = MatmulSpec::default();
    let conv = Some(ConvOperand::WeightGradA(conv));
    launch(gpu, &s, (x_nhwc, dy_nhwc, None, out), &spec, conv)
}

/// An operand that the lavapipe kernel reads from a conv's input x.
#[derive(Clone, Copy)]
enum ConvOperand<'a> {
    /// The forward's im2col matrix as B (`B_CONV`), products stored as
    /// the conv's output image.
    ForwardB(&'a ImplicitConv),
    /// The im2col matrix as A, for the weight gradient (`A_CONV`).
    WeightGradA(&'a ImplicitConv),
}

impl ConvOperand<'_> {
    fn override_name(self) -> &'static str {
        match self {
            ConvOperand::ForwardB(_) => "B_CONV",
            ConvOperand::WeightGradA(_) => "A_CONV",
        }
    }

    fn implicit(&self) -> &ImplicitConv {
        match self {
            ConvOperand::ForwardB(c) | ConvOperand::WeightGradA(c) => c,
        }
    }
}

/// Records the matmul `s` (or the implicit conv) into `out`.
fn launch(
    gpu: &Gpu,
    s: &MatmulShape,
    (a, b, bias, out): (&Tensor, &Tensor, Option<&Tensor>, &Tensor),
    spec: &MatmulSpec,
    conv: Option<ConvOperand>,
) -> Result<()> {
    let batch = as_u32("matmul", "batch", s.batch)?;
    let (act, slope) = spec.activation.code_and_slope();
    let mut params = Params {
        m: as_u32("matmul", "M", s.m)?,
        n: as_u32("matmul", "N", s.n)?,
        k: as_u32("matmul", "K", s.k)?,
        has_bias: u32::from(bias.is_some()),
        stride_a: as_u32("matmul", "A batch stride", s.stride_a)?,
        stride_b: as_u32("matmul", "B batch stride", s.stride_b)?,
        stride_c: as_u32("matmul", "C batch stride", s.m * s.n)?,
        act,
        slope,
        splits: 1,
        chunk: as_u32("matmul", "K", s.k)?,
        batch,
        conv: conv
            .map(|c| c.implicit().params())
            .transpose()?
            .unwrap_or_default(),
        trans_a: u32::from(spec.trans_a),
        trans_b: u32::from(spec.trans_b),
    };
    // Without a bias, A stands in for the bias binding (unread, or on
    // lavapipe read and discarded).
    let bias_buf = bias.unwrap_or(a);
    let lanes8 = conv.is_some() || lanes8_fits(gpu, a.shape(), b.shape());
    let image = matches!(conv, Some(ConvOperand::ForwardB(_)));
    let kernels = (lanes8, gpu.workgroup_tiles());
    let (entry, tile, first, splits, chunk) = plan(s, tiled_target(gpu), kernels, image);
    params.splits = as_u32("matmul", "K splits", splits)?;
    params.chunk = as_u32("matmul", "K chunk", chunk)?;
    // The lavapipe kernel applies no tanh or sigmoid (their code made its
    // compile ~1.5× slower: shaders/matmul_lanes8.wgsl): it stores the
    // sums plus bias, and an elementwise pass applies the activation.
    let after = match spec.activation {
        Activation::Tanh if entry == LANES8 && splits == 1 => Some(Unary::Tanh),
        Activation::Sigmoid if entry == LANES8 && splits == 1 => Some(Unary::Sigmoid),
        _ => None,
    };
    // Split K: the chunks write raw partial products to scratch, and the
    // reduce pass adds them and applies the bias and activation.
    let partial = if after.is_some() {
        gpu.empty(out.shape())?
    } else if splits == 1 {
        out.clone()
    } else {
        gpu.empty(&[splits * s.batch * s.m * s.n])?
    };
    let partial_act = if splits > 1 || after.is_some() {
        Activation::None
    } else {
        spec.activation
    };
    let mut partial_params = params;
    partial_params.act = partial_act.code_and_slope().0;
    if splits > 1 {
        partial_params.has_bias = 0;
    }
    let shader = if entry == LANES8 {
        Shader::MatmulLanes8
    } else {
        Shader::Matmul
    };
    // The implicit conv forward stores into the conv's image (its own entry).
    let kernel_entry = if image { LANES8_IMAGE } else { entry };
    let mut kernel = Kernel::new(shader, kernel_entry);
    if entry != LANES8 {
        kernel = partial_act.specialise(
            kernel
                .with("TRANS_A", f64::from(u8::from(spec.trans_a)))
                .with("TRANS_B", f64::from(u8::from(spec.trans_b))),
        );
    }
    if let Some(conv) = conv {
        kernel = kernel.with(conv.override_name(), 1.0);
    }
    if entry == "matmul_split_partial" {
        gpu.dispatch(
            &kernel,
            &partial_params,
            &[(1, a), (2, b), (3, bias_buf), (9, &partial)],
            gpu.grid(splits * s.batch * s.m * s.n, 64),
        );
    } else {
        let groups = [
            s.n.div_ceil(tile[0]) as u32,
            s.m.div_ceil(tile[1]) as u32,
            as_u32("matmul", "batch × K splits", s.batch * splits)?,
        ];
        if groups[2] > gpu.limits().max_compute_workgroups_per_dimension {
            return Err(Error::Invalid {
                op: "matmul",
                reason: format!("batch {} exceeds the adapter's workgroup grid", s.batch),
            });
        }
        if entry == LANES8 {
            // Operands as textures (see shaders/matmul_lanes8.wgsl); the
            // image entry's output is at 11.
            let out_binding = if image { 11 } else { first + 3 };
            gpu.dispatch_with_operand_textures(
                &kernel,
                &partial_params,
                &[(first + 2, bias_buf), (out_binding, &partial)],
                &[(9, a), (10, b)],
                groups,
            );
        } else {
            gpu.dispatch(
                &kernel,
                &partial_params,
                &[
                    (first, a),
                    (first + 1, b),
                    (first + 2, bias_buf),
                    (first + 3, &partial),
                ],
                groups,
            );
        }
    }
    if splits > 1 {
        gpu.dispatch(
            &spec
                .activation
                .specialise(Kernel::new(Shader::Matmul, "matmul_split_reduce")),
            &params,
            &[(3, bias_buf), (4, out), (9, &partial)],
            gpu.grid(s.batch * s.m * s.n, 64),
        );
    }
    if let Some(op) = after {
        unary_into(gpu, op, &partial, out)?;
    }
    Ok(())
}
