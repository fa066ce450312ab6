//! Launcher for `shaders/toy.wgsl`: 2-D toy samples from random draws.

use super::data::onehot_from_uniform;
use super::random::{RandomKey, normal, uniform};
use super::{WORKGROUP_1D, as_u32};
use crate::error::Result;
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

/// The toy distributions; codes match `toy.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToyKind {
    EightGaussians = 0,
    TwentyFiveGaussians = 1,
    SwissRoll = 2,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    _pad: [u32; 3],
}

/// Maps draws to points: `u` [B] uniform, `noise` [B, 2] normal → out [B, 2].
pub fn toy_sample_into(
    gpu: &Gpu,
    kind: ToyKind,
    u: &Tensor,
    noise: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let n = u.len();
    crate::error::expect_shape("toy_sample", "noise", &[n, 2], noise.shape())?;
    crate::error::expect_shape("toy_sample", "output", &[n, 2], out.shape())?;
    let params = Params {
        n: as_u32("toy_sample", "batch", n)?,
        _pad: [0; 3],
    };
    let buffers = [(1, u), (2, noise), (3, out)];
    gpu.dispatch(
        &Kernel::new(Shader::Toy, "toy_sample").with("KIND", f64::from(kind as u32)),
        &params,
        &buffers,
        gpu.grid(n, WORKGROUP_1D),
    );
    Ok(())
}

impl ToyKind {
    /// Modes a point can be labelled with (its class); none for the swiss roll.
    pub fn modes(self) -> Option<usize> {
        match self {
            ToyKind::EightGaussians => Some(8),
            ToyKind::TwentyFiveGaussians => Some(25),
            ToyKind::SwissRoll => None,
        }
    }
}

/// A batch of `n` points drawn with `key`: the mode choice and the noise come
/// from two tagged sub-streams of it.
pub fn toy_batch(gpu: &Gpu, kind: ToyKind, n: usize, key: RandomKey) -> Result<Tensor> {
    Ok(toy_batch_labelled(gpu, kind, n, key, false)?.0)
}

/// As `toy_batch`, with `labelled` also each point's mode as a one-hot row
/// [n, modes] (the mode the same uniform draw picked).
pub fn toy_batch_labelled(
    gpu: &Gpu,
    kind: ToyKind,
    n: usize,
    key: RandomKey,
    labelled: bool,
) -> Result<(Tensor, Option<Tensor>)> {
    let u = uniform(gpu, &[n], key.substream(0xD0), 0.0, 1.0)?;
    let noise = normal(gpu, &[n, 2], key.substream(0xD1), 0.0, 1.0)?;
    let out = gpu.empty(&[n, 2])?;
    toy_sample_into(gpu, kind, &u, &noise, &out)?;
    let onehot = match (labelled, kind.modes()) {
        (false, _) => None,
        (true, Some(modes)) => Some(onehot_from_uniform(gpu, &u, modes)?),
        (true, None) => {
            return Err(crate::Error::Invalid {
                op: "toy_batch",
                reason: "the swiss roll has no modes to label points with".into(),
            });
        }
    };
    Ok((out, onehot))
}
