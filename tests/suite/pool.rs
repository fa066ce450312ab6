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
    let bind_groups = gpu.recorder_stats().bind_groups;
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
    assert_eq!(
        gpu.recorder_stats().bind_groups,
        bind_groups,
        "bind groups are cached"
    );
}

/// Training iterations after the first allocate no buffer, and after the
/// second create no bind group: the first iteration fills the pool, and
/// the second takes its buffers from a full pool (lowest first), as every
/// later one does, so its bind groups serve them all. Odd iterations read
/// the losses back and even ones do not, as in `gpugan train`, which reads
/// them every `--log-every` steps only. An iteration submits once, or
/// `submits_per_iteration` times where a new epoch's permutation is
/// written mid-iteration (`Gpu::write` submits the work before it).
fn training_is_warm(config: gpugan::train::TrainConfig, submits_per_iteration: u64) {
    let gpu = Gpu::new(&AdapterChoice::default()).unwrap();
    let mut trainer = gpugan::train::Trainer::new(&gpu, config).unwrap();
    let mut count = 0;
    let mut iteration = || {
        trainer.iteration().unwrap();
        count += 1;
        if count % 2 == 1 {
            trainer.metrics().unwrap();
        }
    };
    iteration();
    let pool = gpu.pool_stats();
    iteration();
    let rec = gpu.recorder_stats();
    for _ in 0..4 {
        iteration();
    }
    let (pool2, rec2) = (gpu.pool_stats(), gpu.recorder_stats());
    assert_eq!(pool2.allocations, pool.allocations, "{pool:?} -> {pool2:?}");
    assert_eq!(pool2.peak_bytes_held, pool.peak_bytes_held);
    assert_eq!(rec2.bind_groups, rec.bind_groups, "bind groups created");
    assert!(rec2.dispatches > rec.dispatches);
    assert!(
        rec2.submits - rec.submits <= 4 * submits_per_iteration,
        "{} submits in 4 iterations",
        rec2.submits - rec.submits
    );
}

#[test]
fn toy_training_is_warm() {
    use gpugan::gpu::kernels::toy::ToyKind;
    training_is_warm(
        gpugan::train::TrainConfig::toy_cpu(ToyKind::EightGaussians),
        1,
    );
}

#[test]
fn dcgan_training_is_warm() {
    // The CPU default of `gpugan train`: DCGAN WGAN-GP on the embedded set.
    use gpugan::train::{DataSpec, TrainConfig};
    training_is_warm(TrainConfig::images_cpu(DataSpec::Embedded), 1);
}

#[test]
fn training_is_warm_across_epochs() {
    // 130 images in batches of 32, three critic steps an iteration: an
    // epoch is four batches, so epochs start at batches 4, 8, 12 and 16:
    // after an iteration's first critic step, before its third, at its
    // start, and after its first again. Each epoch's permutation once came
    // in a new buffer (an allocation after warm-up), and the submit before
    // its write sent later dispatches' params to other arena slots, so
    // that at each new point in the iteration dozens of dispatches needed
    // new bind groups.
    use gpugan::train::{DataSpec, TrainConfig};
    let dir = crate::common::temp_dir("pool-epochs");
    let file = dir.join("train-images-idx3-ubyte");
    std::fs::write(&file, crate::common::idx_images(130, 28, 28)).unwrap();
    let config = TrainConfig {
        n_critic: 3,
        ..TrainConfig::images_cpu(DataSpec::Idx(file))
    };
    assert_eq!(config.batch_size, 32);
    training_is_warm(config, 2);
}
