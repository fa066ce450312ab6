//! Launchers for `shaders/norm.wgsl`: batch normalisation in training mode,
//! forward (statistics, then normalise) and backward (parameter gradients,
//! then the input gradient).

use super::matmul::Activation;
use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    batch: u32,
    channels: u32,
    plane: u32,
    eps: f32,
    momentum: f32,
    /// Leaky ReLU's; the activation itself is the kernel's `ACT` constant.
    slope: f32,
    _pad: [u32; 2],
}

/// Per-channel kernels: at most this many invocations per workgroup...
const CHANNEL_WORKGROUP: usize = 64;
/// ... and at least this many workgroups where the channels allow, so that
/// a few channels of many values each spread over the adapter's threads
/// or cores: on lavapipe (2 threads) the statistics of W3's 64-channel
/// layer ran in one workgroup on one thread (BENCHMARKS.md item 31).
const MIN_CHANNEL_GROUPS: usize = 4;
/// The smallest workgroup tried: lavapipe's subgroup.
const MIN_CHANNEL_WORKGROUP: usize = 8;

/// Invocations per workgroup of the per-channel kernels for `channels`
/// (the shader's `CHANNEL_WORKGROUP` override).
fn channel_workgroup(channels: usize) -> usize {
    let mut size = CHANNEL_WORKGROUP;
    while size > MIN_CHANNEL_WORKGROUP && channels.div_ceil(size) < MIN_CHANNEL_GROUPS {
        size /= 2;
    }
    size
}

/// The batch statistics of one forward: mean and 1/√(var + eps) per channel.
pub struct BatchStats {
    pub mean: Tensor,
    pub invstd: Tensor,
}

fn params(op: &'static str, x: &Tensor, eps: f32, momentum: f32) -> Result<Params> {
    let &[b, c, h, w] = x.shape() else {
        return Err(Error::Invalid {
            op,
            reason: format!("expects [B, C, H, W], got {:?}", x.shape()),
        });
    };
    Ok(Params {
        batch: as_u32(op, "batch", b)?,
        channels: as_u32(op, "channels", c)?,
        plane: as_u32(op, "plane", h * w)?,
        eps,
        momentum,
        slope: 0.0,
        _pad: [0; 2],
    })
}

fn per_channel(gpu: &Gpu, entry: &'static str, p: &Params, bufs: &[(u32, &Tensor)]) {
    let size = channel_workgroup(p.channels as usize);
    let groups = (p.channels as usize).div_ceil(size) as u32;
    let kernel = Kernel::new(Shader::Norm, entry).with("CHANNEL_WORKGROUP", size as f64);
    gpu.dispatch(&kernel, p, bufs, [groups, 1, 1]);
}

fn per_element(gpu: &Gpu, kernel: &Kernel, p: &Params, n: usize, bufs: &[(u32, &Tensor)]) {
    gpu.dispatch(kernel, p, bufs, gpu.grid(n, WORKGROUP_1D));
}

/// Planes of multiples of 4 take the `_vec4` entries: four values of one
/// plane per invocation (per step of the statistics' loop), x, dy and out
/// bound as vec4 arrays.
fn vec4_planes(p: &Params) -> bool {
    p.plane.is_multiple_of(4)
}

/// (x, dy, out) bindings of the per-value kernels for these params.
fn value_bindings(p: &Params) -> (u32, u32, u32) {
    bindings(vec4_planes(p))
}

/// (x, dy, out) bound as vec4 arrays, or as f32 arrays.
fn bindings(vec4: bool) -> (u32, u32, u32) {
    if vec4 { (15, 17, 16) } else { (1, 10, 11) }
}

/// A per-value kernel over n values, as (entry, invocations): its `_vec4`
/// entry where the planes allow it.
fn per_value(
    (entry, entry_vec4): (&'static str, &'static str),
    p: &Params,
    n: usize,
) -> (&'static str, usize) {
    if vec4_planes(p) {
        (entry_vec4, n / 4)
    } else {
        (entry, n)
    }
}

fn check_channels(op: &'static str, what: &str, x: &Tensor, t: &Tensor) -> Result<()> {
    expect_shape(op, what, &[x.shape()[1]], t.shape())
}

/// Mean and 1/√(var + eps) of each channel of x into `stats`, and the
/// running statistics moved towards them by `momentum` (unbiased variance).
pub fn batch_norm_stats_into(
    gpu: &Gpu,
    x: &Tensor,
    (running_mean, running_var): (&Tensor, &Tensor),
    momentum: f32,
    eps: f32,
    stats: &BatchStats,
) -> Result<()> {
    let op = "batch_norm_stats";
    let p = params(op, x, eps, momentum)?;
    for (what, t) in [
        ("running mean", running_mean),
        ("running var", running_var),
        ("mean", &stats.mean),
        ("invstd", &stats.invstd),
    ] {
        check_channels(op, what, x, t)?;
    }
    let (x_binding, _, _) = value_bindings(&p);
    let bufs = [
        (x_binding, x),
        (2, &stats.mean),
        (3, &stats.invstd),
        (4, running_mean),
        (5, running_var),
    ];
    let entry = if vec4_planes(&p) {
        "batch_norm_stats_vec4"
    } else {
        "batch_norm_stats"
    };
    per_channel(gpu, entry, &p, &bufs);
    Ok(())
}

pub fn batch_norm_stats(
    gpu: &Gpu,
    x: &Tensor,
    running: (&Tensor, &Tensor),
    momentum: f32,
    eps: f32,
) -> Result<BatchStats> {
    let c = x.shape().get(1).copied().unwrap_or(1);
    let stats = BatchStats {
        mean: gpu.empty(&[c])?,
        invstd: gpu.empty(&[c])?,
    };
    batch_norm_stats_into(gpu, x, running, momentum, eps, &stats)?;
    Ok(stats)
}

/// out = act((x − mean)·invstd·γ + β) per channel.
pub fn batch_norm_apply_into(
    gpu: &Gpu,
    x: &Tensor,
    stats: &BatchStats,
    (gamma, beta): (&Tensor, &Tensor),
    act: Activation,
    out: &Tensor,
) -> Result<()> {
    let op = "batch_norm_apply";
    let mut p = params(op, x, 0.0, 0.0)?;
    (_, p.slope) = act.code_and_slope();
    check_channels(op, "weight", x, gamma)?;
    check_channels(op, "bias", x, beta)?;
    expect_shape(op, "output", x.shape(), out.shape())?;
    // Planes of 4 values or more that are not a multiple of 4 (7×7) take
    // four values a time as well where the whole tensor is a multiple of 4.
    let quads = !vec4_planes(&p) && p.plane >= 4 && x.len().is_multiple_of(4);
    let (xb, _, ob) = bindings(quads || vec4_planes(&p));
    let bufs = [
        (xb, x),
        (6, &stats.mean),
        (7, &stats.invstd),
        (8, gamma),
        (9, beta),
        (ob, out),
    ];
    let (entry, invocations) = if quads {
        ("batch_norm_apply_quads", x.len() / 4)
    } else if vec4_planes(&p) && p.plane >= 16 && x.len().is_multiple_of(16) {
        // Sixteen values an invocation (see the shader).
        ("batch_norm_apply_vec4x4", x.len() / 16)
    } else {
        per_value((op, "batch_norm_apply_vec4"), &p, x.len())
    };
    let kernel = act.specialise(Kernel::new(Shader::Norm, entry));
    per_element(gpu, &kernel, &p, invocations, &bufs);
    Ok(())
}

/// dβ = Σ dy and dγ = Σ dy·x̂ per channel.
pub fn batch_norm_grad_params_into(
    gpu: &Gpu,
    x: &Tensor,
    stats: &BatchStats,
    dy: &Tensor,
    dbeta: &Tensor,
    dgamma: &Tensor,
) -> Result<()> {
    let op = "batch_norm_grad_params";
    let p = params(op, x, 0.0, 0.0)?;
    expect_shape(op, "upstream gradient", x.shape(), dy.shape())?;
    check_channels(op, "bias gradient", x, dbeta)?;
    check_channels(op, "weight gradient", x, dgamma)?;
    let bufs = [
        (1, x),
        (6, &stats.mean),
        (7, &stats.invstd),
        (10, dy),
        (11, dbeta),
        (12, dgamma),
    ];
    per_channel(gpu, op, &p, &bufs);
    Ok(())
}

/// dx = γ·invstd/N · (N·dy − dβ − x̂·dγ) per channel.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_grad_input_into(
    gpu: &Gpu,
    x: &Tensor,
    stats: &BatchStats,
    gamma: &Tensor,
    dy: &Tensor,
    (dbeta, dgamma): (&Tensor, &Tensor),
    out: &Tensor,
) -> Result<()> {
    let op = "batch_norm_grad_input";
    let p = params(op, x, 0.0, 0.0)?;
    expect_shape(op, "upstream gradient", x.shape(), dy.shape())?;
    expect_shape(op, "output", x.shape(), out.shape())?;
    check_channels(op, "weight", x, gamma)?;
    let (xb, db, ob) = value_bindings(&p);
    let bufs = [
        (xb, x),
        (6, &stats.mean),
        (7, &stats.invstd),
        (8, gamma),
        (db, dy),
        (ob, out),
        (13, dbeta),
        (14, dgamma),
    ];
    let (entry, invocations) = per_value((op, "batch_norm_grad_input_vec4"), &p, x.len());
    per_element(
        gpu,
        &Kernel::new(Shader::Norm, entry),
        &p,
        invocations,
        &bufs,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::channel_workgroup;

    #[test]
    fn few_channels_take_smaller_workgroups() {
        // (channels, invocations per workgroup): at least 4 workgroups
        // where 8 channels each allow it, never more than 64 a workgroup.
        for (channels, size) in [
            (5, 8),
            (31, 8),
            (64, 16),
            (65, 16),
            (100, 32),
            (256, 64),
            (1024, 64),
        ] {
            assert_eq!(channel_workgroup(channels), size, "{channels} channels");
        }
    }
}
