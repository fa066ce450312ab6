//! Launcher for `shaders/matmul.wgsl`: `C = act(op(A)·op(B) + bias)`, batched.

use super::as_u32;
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

/// Activation fused into the matmul epilogue. Codes match `matmul.wgsl`.
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
    _pad: [u32; 3],
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
    let batch = as_u32("matmul", "batch", s.batch)?;
    if batch > gpu.limits().max_compute_workgroups_per_dimension {
        return Err(Error::Invalid {
            op: "matmul",
            reason: format!("batch {batch} exceeds the adapter's workgroup grid"),
        });
    }
    let (act, slope) = spec.activation.code_and_slope();
    let params = Params {
        m: as_u32("matmul", "M", s.m)?,
        n: as_u32("matmul", "N", s.n)?,
        k: as_u32("matmul", "K", s.k)?,
        has_bias: u32::from(bias.is_some()),
        stride_a: as_u32("matmul", "A batch stride", s.stride_a)?,
        stride_b: as_u32("matmul", "B batch stride", s.stride_b)?,
        stride_c: as_u32("matmul", "C batch stride", s.m * s.n)?,
        act,
        slope,
        _pad: [0; 3],
    };
    // Without a bias, A stands in for the unread bias binding.
    let bias_buf = bias.unwrap_or(a).buffer();
    let vec4 = s.m % 4 == 0 && s.n % 4 == 0 && s.k % 4 == 0;
    let (entry, tile, first_binding) = if vec4 {
        ("matmul_forward_vec4", 64, 5)
    } else {
        ("matmul_forward", 32, 1)
    };
    let kernel = Kernel::new(Shader::Matmul, entry)
        .with("TRANS_A", f64::from(u8::from(spec.trans_a)))
        .with("TRANS_B", f64::from(u8::from(spec.trans_b)));
    let groups = [s.n.div_ceil(tile) as u32, s.m.div_ceil(tile) as u32, batch];
    gpu.dispatch(
        &kernel,
        &params,
        &[
            (first_binding, a.buffer()),
            (first_binding + 1, b.buffer()),
            (first_binding + 2, bias_buf),
            (first_binding + 3, out.buffer()),
        ],
        groups,
    );
    Ok(())
}
