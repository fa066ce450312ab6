//! `gpugan bench`: the performance issue's reference workloads on any
//! adapter, one line each. Training workloads run on the embedded
//! Fashion-MNIST set (28×28 in [−1, 1], the shape of MNIST); an iteration is
//! 5 critic steps + 1 generator step ending with the two losses read back.
//!
//! - w1: MLP WGAN with weight clipping, RMSprop 5e-5, clip ±0.01.
//! - w2: the same nets with the gradient penalty (λ 10), Adam(1e-4, 0.5, 0.9).
//! - w3: DCGAN-28 WGAN-GP, widths 64/64, λ 10, Adam(1e-4, 0.5, 0.9).
//! - m: square matmuls of 256, 512 and 1024 in GFLOP/s.

use std::time::Instant;

use crate::error::Result;
use crate::gpu::kernels::matmul::{MatmulSpec, matmul_into};
use crate::gpu::kernels::random::{RandomKey, uniform};
use crate::gpu::{AdapterChoice, Gpu, Profile};
use crate::train::loss::LossKind;
use crate::train::{DataSpec, ModelKind, OptKind, TrainConfig, Trainer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    W1,
    W2,
    W3,
    M,
}

/// The training configuration of a workload (None for the matmuls).
pub fn workload_config(w: Workload) -> Option<TrainConfig> {
    let base = TrainConfig {
        batch_size: 64,
        n_critic: 5,
        z_dim: 100,
        steps: 1_000_000,
        ..TrainConfig::images_default(DataSpec::Embedded)
    };
    match w {
        Workload::W1 => Some(TrainConfig {
            model: ModelKind::Mlp,
            loss: LossKind::Wgan,
            clip: Some(0.01),
            opt: OptKind::Rmsprop,
            lr: 5e-5,
            ..base
        }),
        Workload::W2 => Some(TrainConfig {
            model: ModelKind::Mlp,
            loss: LossKind::WganGp,
            gp_lambda: 10.0,
            opt: OptKind::Adam,
            lr: 1e-4,
            beta1: 0.5,
            beta2: 0.9,
            ..base
        }),
        Workload::W3 => Some(TrainConfig {
            g_width: 64,
            d_width: 64,
            loss: LossKind::WganGp,
            gp_lambda: 10.0,
            lr: 1e-4,
            ..base
        }),
        Workload::M => None,
    }
}

/// Median, min and max of `times` (seconds).
fn stats(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

/// One training workload: a warm-up iteration (building the nets, loading
/// the data and compiling pipelines included, its time reported as
/// `first` and returned with the line), an untimed one, then `iters` timed
/// ones. Allocations count from the end of the first.
pub fn training_line(gpu: &Gpu, w: Workload, iters: usize) -> Result<(String, f64)> {
    let config = workload_config(w).expect("a training workload");
    let start = Instant::now();
    let mut trainer = Trainer::new(gpu, config)?;
    trainer.iteration()?;
    trainer.metrics()?;
    let first = start.elapsed().as_secs_f64();
    let pool_before = gpu.pool_stats();
    // A second untimed iteration: the first takes buffers from a filling
    // pool, so its bind groups differ from every later iteration's.
    trainer.iteration()?;
    trainer.metrics()?;
    let before = gpu.recorder_stats();
    let mut times = Vec::with_capacity(iters);
    let mut record = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        trainer.iteration()?;
        record.push(start.elapsed().as_secs_f64());
        trainer.metrics()?;
        times.push(start.elapsed().as_secs_f64());
    }
    let (after, pool) = (gpu.recorder_stats(), gpu.pool_stats());
    let (median, min, max) = stats(times);
    let n = iters.max(1) as u64;
    let line = format!(
        "{} {:.0} ms/iter (min {:.0}, max {:.0}, n {iters}); first iteration {first:.1} s; \
         host recording {:.1} ms/iter; {} dispatches, {} submits, {} new bind groups per iter; \
         pool peak {:.1} MB, {} allocations after warm-up",
        format!("{w:?}").to_lowercase(),
        1e3 * median,
        1e3 * min,
        1e3 * max,
        1e3 * stats(record).0,
        (after.dispatches - before.dispatches) / n,
        (after.submits - before.submits) / n,
        (after.bind_groups - before.bind_groups) / n,
        pool.peak_bytes_held as f64 / 1e6,
        pool.allocations - pool_before.allocations,
    );
    Ok((line, first))
}

/// One training iteration of `w` after a warm-up, every dispatch submitted
/// and waited for alone: where the time goes, kernel by kernel (the sum is
/// larger than a normal iteration, which overlaps nothing but also pays no
/// per-dispatch wait).
pub fn training_profile(gpu: &Gpu, w: Workload) -> Result<String> {
    let config = workload_config(w).expect("a training workload");
    let mut trainer = Trainer::new(gpu, config)?;
    trainer.iteration()?;
    trainer.metrics()?;
    gpu.start_profiling()?;
    trainer.iteration()?;
    trainer.metrics()?;
    Ok(gpu.take_profile().map(|p| p.report()).unwrap_or_default())
}

/// The first iteration of `w` (building the nets and their pipelines
/// included) kernel by kernel, each dispatch submitted and waited for
/// alone, in a device of its own, so that each kernel's first launch
/// includes building its pipeline: where start-up goes. Also the seconds
/// from opening the device to the end of the iteration (longer than
/// without profiling).
pub fn first_iteration_profile(choice: &AdapterChoice, w: Workload) -> Result<(Profile, f64)> {
    let config = workload_config(w).expect("a training workload");
    let start = Instant::now();
    let gpu = Gpu::new(choice)?;
    gpu.start_profiling()?;
    let mut trainer = Trainer::new(&gpu, config)?;
    trainer.iteration()?;
    trainer.metrics()?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((gpu.take_profile().unwrap_or_default(), seconds))
}

/// Matmuls recorded per timed sample on a GPU, where one 1024³ product
/// (~0.1 ms at 20 TFLOP/s) is shorter than a submit and wait; one on a CPU
/// adapter (tens of ms each).
const GPU_MATMULS_PER_SAMPLE: usize = 20;

/// Square matmuls: `m<size> <x> GFLOP/s` per size, the median of `iters`
/// samples. GPUs also run 4096³, which fills a large card.
pub fn matmul_lines(gpu: &Gpu, iters: usize) -> Result<Vec<String>> {
    let key = RandomKey { seed: 9, stream: 0 };
    let (sizes, reps): (&[usize], usize) = if gpu.is_cpu() {
        (&[256, 512, 1024], 1)
    } else {
        (&[256, 512, 1024, 4096], GPU_MATMULS_PER_SAMPLE)
    };
    sizes
        .iter()
        .map(|&n| {
            let a = uniform(gpu, &[n, n], key.substream(1), -1.0, 1.0)?;
            let b = uniform(gpu, &[n, n], key.substream(2), -1.0, 1.0)?;
            let c = gpu.empty(&[n, n])?;
            matmul_into(gpu, &a, &b, None, &c, &MatmulSpec::default())?;
            gpu.sync()?;
            let times = (0..iters.max(1))
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..reps {
                        matmul_into(gpu, &a, &b, None, &c, &MatmulSpec::default())?;
                    }
                    gpu.sync()?;
                    Ok(start.elapsed().as_secs_f64() / reps as f64)
                })
                .collect::<Result<Vec<_>>>()?;
            let (median, _, _) = stats(times);
            let flops = 2.0 * (n * n * n) as f64;
            Ok(format!("m{n} {:.1} GFLOP/s", flops / median / 1e9))
        })
        .collect()
}
