//! Launchers for `shaders/elementwise.wgsl`. Operands have equal shapes.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

/// `out = x (op) y`. Codes match `elementwise.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// `alpha·x + y`
    Axpy(f32),
}

/// `out = f(x)`. Codes match `elementwise.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Scale(f32),
    Relu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
    Square,
    Sqrt,
    /// `x + alpha`
    Shift(f32),
    /// `log(1 + e^x)`
    Softplus,
}

/// Gradients of the activations: `out = g · f'`. `Relu` and `LeakyRelu` take
/// the forward input; `Tanh` and `Sigmoid` take the forward output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryGrad {
    Relu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
}

impl Binary {
    fn code_alpha(self) -> (u32, f32) {
        match self {
            Binary::Add => (0, 0.0),
            Binary::Sub => (1, 0.0),
            Binary::Mul => (2, 0.0),
            Binary::Axpy(a) => (3, a),
            Binary::Div => (4, 0.0),
        }
    }
}

impl Unary {
    fn code_alpha(self) -> (u32, f32) {
        match self {
            Unary::Scale(a) => (10, a),
            Unary::Relu => (11, 0.0),
            Unary::LeakyRelu(s) => (12, s),
            Unary::Tanh => (13, 0.0),
            Unary::Sigmoid => (14, 0.0),
            Unary::Square => (15, 0.0),
            Unary::Sqrt => (16, 0.0),
            Unary::Shift(b) => (17, b),
            Unary::Softplus => (18, 0.0),
        }
    }
}

impl UnaryGrad {
    fn code_alpha(self) -> (u32, f32) {
        match self {
            UnaryGrad::Relu => (11, 0.0),
            UnaryGrad::LeakyRelu(s) => (12, s),
            UnaryGrad::Tanh => (13, 0.0),
            UnaryGrad::Sigmoid => (14, 0.0),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    alpha: f32,
    _pad: [u32; 2],
}

fn launch(
    gpu: &Gpu,
    (entry, entry_vec4): (&'static str, &'static str),
    (op, alpha): (u32, f32),
    inputs: &[&Tensor],
    out: &Tensor,
) -> Result<()> {
    for t in inputs {
        expect_shape(entry, "operand", out.shape(), t.shape())?;
    }
    let n = out.len();
    let params = Params {
        n: as_u32(entry, "element count", n)?,
        alpha,
        _pad: [0; 2],
    };
    // Lengths of multiples of 4 take the `_vec4` entry (bindings 4–6: the
    // same tensors as vec4 arrays; views start at 256-byte multiples).
    let vec4 = n.is_multiple_of(4);
    let first = if vec4 { 4 } else { 1 };
    let mut buffers: Vec<(u32, &Tensor)> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| (first + i as u32, *t))
        .collect();
    buffers.push((first + 2, out));
    let (entry, invocations) = if vec4 {
        (entry_vec4, n / 4)
    } else {
        (entry, n)
    };
    let kernel = Kernel::new(Shader::Elementwise, entry).with("OP", f64::from(op));
    gpu.dispatch(
        &kernel,
        &params,
        &buffers,
        gpu.grid(invocations, WORKGROUP_1D),
    );
    Ok(())
}

pub fn binary_into(gpu: &Gpu, op: Binary, x: &Tensor, y: &Tensor, out: &Tensor) -> Result<()> {
    launch(
        gpu,
        ("binary_forward", "binary_forward_vec4"),
        op.code_alpha(),
        &[x, y],
        out,
    )
}

pub fn binary(gpu: &Gpu, op: Binary, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(x.shape())?;
    binary_into(gpu, op, x, y, &out)?;
    Ok(out)
}

pub fn unary_into(gpu: &Gpu, op: Unary, x: &Tensor, out: &Tensor) -> Result<()> {
    launch(
        gpu,
        ("unary_forward", "unary_forward_vec4"),
        op.code_alpha(),
        &[x],
        out,
    )
}

pub fn unary(gpu: &Gpu, op: Unary, x: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(x.shape())?;
    unary_into(gpu, op, x, &out)?;
    Ok(out)
}

/// `x` is the forward input (relu, leaky relu) or output (tanh, sigmoid).
pub fn unary_grad_into(
    gpu: &Gpu,
    op: UnaryGrad,
    x: &Tensor,
    g: &Tensor,
    out: &Tensor,
) -> Result<()> {
    launch(
        gpu,
        ("unary_backward", "unary_backward_vec4"),
        op.code_alpha(),
        &[x, g],
        out,
    )
}

pub fn unary_grad(gpu: &Gpu, op: UnaryGrad, x: &Tensor, g: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(x.shape())?;
    unary_grad_into(gpu, op, x, g, &out)?;
    Ok(out)
}
