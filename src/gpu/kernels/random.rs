//! Launchers for `shaders/random.wgsl`: Philox4x32-10 uniform and normal
//! draws, a pure function of (seed, stream, element index).

use super::{WORKGROUP_1D, as_u32};
use crate::error::Result;
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

/// Where a draw comes from: the run's seed and a stream number (a training
/// step, a purpose tag). Equal keys give equal numbers on every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomKey {
    pub seed: u64,
    pub stream: u64,
}

impl RandomKey {
    /// The key of layer `i` of a network drawn from `self`: the next streams.
    pub fn layer(self, i: usize) -> RandomKey {
        RandomKey {
            seed: self.seed,
            stream: self.stream + i as u64,
        }
    }

    /// A stream disjoint from every other tag's: the top byte of the stream
    /// is a purpose tag (noise, ε, data), the low 56 bits count steps.
    pub fn substream(self, tag: u8) -> RandomKey {
        RandomKey {
            seed: self.seed,
            stream: (self.stream & ((1 << 56) - 1)) | (u64::from(tag) << 56),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    a: f32,
    b: f32,
    _pad: u32,
}

fn launch(
    gpu: &Gpu,
    entry: &'static str,
    key: RandomKey,
    (a, b): (f32, f32),
    out: &Tensor,
) -> Result<()> {
    let n = out.len();
    let params = Params {
        n: as_u32(entry, "element count", n)?,
        seed_lo: key.seed as u32,
        seed_hi: (key.seed >> 32) as u32,
        stream_lo: key.stream as u32,
        stream_hi: (key.stream >> 32) as u32,
        a,
        b,
        _pad: 0,
    };
    let kernel = Kernel::new(Shader::Random, entry);
    // One invocation per four elements.
    gpu.dispatch(
        &kernel,
        &params,
        &[(1, out)],
        gpu.grid(n.div_ceil(4), WORKGROUP_1D),
    );
    Ok(())
}

/// Fills `out` with U(lo, hi) draws (never exactly lo or hi).
pub fn uniform_into(gpu: &Gpu, key: RandomKey, lo: f32, hi: f32, out: &Tensor) -> Result<()> {
    launch(gpu, "random_uniform", key, (lo, hi), out)
}

/// Fills `out` with N(mean, std²) draws.
pub fn normal_into(gpu: &Gpu, key: RandomKey, mean: f32, std: f32, out: &Tensor) -> Result<()> {
    launch(gpu, "random_normal", key, (mean, std), out)
}

pub fn uniform(gpu: &Gpu, shape: &[usize], key: RandomKey, lo: f32, hi: f32) -> Result<Tensor> {
    let out = gpu.empty(shape)?;
    uniform_into(gpu, key, lo, hi, &out)?;
    Ok(out)
}

pub fn normal(gpu: &Gpu, shape: &[usize], key: RandomKey, mean: f32, std: f32) -> Result<Tensor> {
    let out = gpu.empty(shape)?;
    normal_into(gpu, key, mean, std, &out)?;
    Ok(out)
}
