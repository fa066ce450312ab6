//! The buffer pool: repeated work allocates nothing once warm.

use gpugan::gpu::kernels::elementwise::{Unary, unary};
use gpugan::gpu::kernels::matmul::{Activation, MatmulSpec, matmul};
use gpugan::gpu::kernels::random::{RandomKey, normal};
use gpugan::gpu::kernels::reduce::mean_all;
use gpugan::{AdapterChoice, Gpu};

/// A small forward pass: random input, two layers, a loss read back.
fn step(gpu: &Gpu, w1: &gpugan::Tensor, w2: &gpugan::Tensor, i: u64) -> f32 {
    let x = normal(gpu, &[64, 32], RandomKey { seed: 1, stream: i }, 0.0, 1.0).unwrap();
    let spec = MatmulSpec {
        trans_b: true,
        activation: Activation::LeakyRelu(0.2),
        ..MatmulSpec::default()
    };
    let h = matmul(gpu, &x, w1, None, &spec).unwrap();
    let y = matmul(gpu, &h, w2, None, &MatmulSpec::default()).unwrap();
    let loss = mean_all(gpu, &unary(gpu, Unary::Square, &y).unwrap()).unwrap();
    gpu.read(&loss).unwrap()[0]
}

#[test]
fn no_allocation_after_warm_up() {
    // A private device: the shared one sees other tests' allocations.
    let gpu = Gpu::new(&AdapterChoice::default()).unwrap();
    let w1 = gpu.upload(&vec![0.01; 48 * 32], &[48, 32]).unwrap();
    let w2 = gpu.upload(&vec![0.02; 48 * 5], &[48, 5]).unwrap();
    step(&gpu, &w1, &w2, 0);
    let warm = gpu.pool_stats();
    let pipelines = gpu.pipeline_count();
    for i in 1..20 {
        assert!(step(&gpu, &w1, &w2, i).is_finite());
    }
    let after = gpu.pool_stats();
    assert_eq!(
        after.allocations, warm.allocations,
        "allocations after warm-up: {warm:?} -> {after:?}"
    );
    assert_eq!(after.peak_bytes_held, warm.peak_bytes_held);
    assert!(after.reuses > warm.reuses);
    assert_eq!(gpu.pipeline_count(), pipelines, "pipelines are cached");
}
