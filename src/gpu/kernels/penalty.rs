//! Launchers for `shaders/penalty.wgsl`: the gradient penalty from the
//! per-sample squared norms, and its gradient.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    row_len: u32,
    lambda: f32,
    eps: f32,
}

fn params(op: &'static str, g: &Tensor, sq: &Tensor, lambda: f32, eps: f32) -> Result<Params> {
    let rows = g.shape()[0];
    expect_shape(op, "squared norms", &[rows], sq.shape())?;
    Ok(Params {
        rows: as_u32(op, "rows", rows)?,
        row_len: as_u32(op, "row length", g.len() / rows)?,
        lambda,
        eps,
    })
}

/// out[0] = λ/B · Σ_i (√(sq_i + ε) − 1)², with `sq` the squared norms of
/// the B rows of `g` (g itself only gives the shape).
pub fn penalty_forward_into(
    gpu: &Gpu,
    g: &Tensor,
    sq: &Tensor,
    lambda: f32,
    eps: f32,
    out: &Tensor,
) -> Result<()> {
    expect_shape("penalty", "output", &[1], out.shape())?;
    let p = params("penalty", g, sq, lambda, eps)?;
    let kernel = Kernel::new(Shader::Penalty, "penalty_forward");
    gpu.dispatch(&kernel, &p, &[(1, sq), (4, out)], [1, 1, 1]);
    Ok(())
}

/// out = up · 2λ/B · (1 − 1/√(sq_i + ε)) · g, row by row: the gradient of
/// `penalty_forward` with respect to g, times the upstream scalar `up`.
pub fn penalty_backward_into(
    gpu: &Gpu,
    g: &Tensor,
    sq: &Tensor,
    up: &Tensor,
    lambda: f32,
    eps: f32,
    out: &Tensor,
) -> Result<()> {
    expect_shape("penalty_backward", "output", g.shape(), out.shape())?;
    expect_shape("penalty_backward", "upstream", &[1], &[up.len()])?;
    let p = params("penalty_backward", g, sq, lambda, eps)?;
    let kernel = Kernel::new(Shader::Penalty, "penalty_backward");
    gpu.dispatch(
        &kernel,
        &p,
        &[(1, sq), (2, g), (3, up), (4, out)],
        gpu.grid(g.len(), WORKGROUP_1D),
    );
    Ok(())
}
