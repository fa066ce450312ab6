//! Launchers for `shaders/optim.wgsl`: Adam and RMSprop, updating parameters
//! and state in place, with WGAN weight clipping fused into the update.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    bc1: f32,
    bc2: f32,
    clip: f32,
    _pad: [u32; 3],
}

/// Adam hyper-parameters for one step; `step` counts from 1. `clip`: WGAN
/// weight clipping, every parameter clamped to ±c after the update.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub step: u64,
    pub clip: Option<f32>,
}

/// RMSprop hyper-parameters; `clip` as in `AdamStep`.
#[derive(Clone, Copy, Debug)]
pub struct RmspropStep {
    pub lr: f32,
    pub alpha: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub momentum: f32,
    pub centered: bool,
    pub clip: Option<f32>,
}

/// Runs `entry`, or its vec4 form when the element count allows (always for
/// flat parameter buffers): bindings 6.. instead of 1.., a quarter of the
/// invocations.
fn launch(
    gpu: &Gpu,
    (entry, constants): (&'static str, &[(&'static str, bool)]),
    params: Params,
    buffers: &[(u32, &Tensor)],
) -> Result<()> {
    let theta = buffers[0].1;
    for (_, t) in &buffers[1..] {
        expect_shape(entry, "state or gradient", theta.shape(), t.shape())?;
    }
    let params = Params {
        n: as_u32(entry, "parameter count", theta.len())?,
        ..params
    };
    let vec4 = theta.len().is_multiple_of(4);
    let (entry, first, invocations) = match (vec4, entry) {
        (true, "adam_step") => ("adam_step_vec4", 6, theta.len() / 4),
        (true, "rmsprop_step") => ("rmsprop_step_vec4", 6, theta.len() / 4),
        _ => (entry, 1, theta.len()),
    };
    let bound: Vec<(u32, &Tensor)> = buffers.iter().map(|&(b, t)| (b - 1 + first, t)).collect();
    let kernel = constants
        .iter()
        .fold(Kernel::new(Shader::Optim, entry), |k, &(name, on)| {
            k.with(name, f64::from(u8::from(on)))
        });
    gpu.dispatch(
        &kernel,
        &params,
        &bound,
        gpu.grid(invocations, WORKGROUP_1D),
    );
    Ok(())
}

/// One Adam update of `theta` with state `m`, `v` (zeros before step 1).
pub fn adam_step(
    gpu: &Gpu,
    h: &AdamStep,
    theta: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
) -> Result<()> {
    let t = h.step as i32;
    let params = Params {
        lr: h.lr,
        beta1: h.beta1,
        beta2: h.beta2,
        eps: h.eps,
        weight_decay: h.weight_decay,
        bc1: 1.0 - h.beta1.powi(t),
        bc2: 1.0 - h.beta2.powi(t),
        clip: clip_param(h.clip)?,
        ..Params::default()
    };
    launch(
        gpu,
        ("adam_step", &[]),
        params,
        &[(1, theta), (2, grad), (3, m), (4, v)],
    )
}

/// One RMSprop update: `square_avg`, `grad_avg` (centered), `momentum_buf`.
pub fn rmsprop_step(
    gpu: &Gpu,
    h: &RmspropStep,
    theta: &Tensor,
    grad: &Tensor,
    square_avg: &Tensor,
    grad_avg: &Tensor,
    momentum_buf: &Tensor,
) -> Result<()> {
    let params = Params {
        lr: h.lr,
        beta1: h.alpha,
        beta2: h.momentum,
        eps: h.eps,
        weight_decay: h.weight_decay,
        clip: clip_param(h.clip)?,
        ..Params::default()
    };
    let buffers = [
        (1, theta),
        (2, grad),
        (3, square_avg),
        (4, grad_avg),
        (5, momentum_buf),
    ];
    // The variant is the pipeline's (optim.wgsl's CENTERED and MOMENTUM).
    let variant = [("CENTERED", h.centered), ("MOMENTUM", h.momentum > 0.0)];
    launch(gpu, ("rmsprop_step", &variant), params, &buffers)
}

/// The shader's `clip`: 0 for none; a bound must be positive (a bound of 0
/// would zero every parameter, which no caller means).
fn clip_param(clip: Option<f32>) -> Result<f32> {
    match clip {
        None => Ok(0.0),
        Some(c) if c > 0.0 && c.is_finite() => Ok(c),
        Some(c) => Err(Error::Invalid {
            op: "weight clipping",
            reason: format!("the bound must be a positive finite number, got {c}"),
        }),
    }
}
