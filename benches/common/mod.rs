//! Helpers shared by the benches (each bench is its own crate).

use gpugan::{Gpu, Tensor};

/// A tensor of `shape` with deterministic values in [−0.5, 0.5).
pub fn filled(gpu: &Gpu, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    gpu.upload(&data, shape).unwrap()
}
