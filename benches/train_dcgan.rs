//! Whole DCGAN-28 WGAN-GP iterations on the embedded Fashion-MNIST set:
//! the CPU default of `gpugan train` and issue 6's W3 (batch 64, widths
//! 64/64, n_critic 5), each with the penalty and without it (wgan + clip in
//! its place) for the penalty's share. A W3 iteration takes tens of seconds
//! on lavapipe, too long for criterion's ten-sample minimum, so this bench
//! times a few iterations itself and prints medians, then one iteration's
//! time per kernel (each dispatch run alone: slower in total, but it shows
//! where the time goes).

use std::time::Instant;

use gpugan::train::loss::LossKind;
use gpugan::train::{DataSpec, TrainConfig, Trainer};
use gpugan::{AdapterChoice, Gpu};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    println!(
        "DCGAN-28 iterations on {} ({:?})",
        gpu.info().name,
        gpu.info().backend
    );
    let cpu_default = TrainConfig::images_cpu(DataSpec::Embedded);
    let w3 = TrainConfig {
        batch_size: 64,
        g_width: 64,
        d_width: 64,
        n_critic: 5,
        lr: 1e-4,
        ..TrainConfig::images_default(DataSpec::Embedded)
    };
    let iters: usize = std::env::var("DCGAN_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for (name, base) in [("cpu_default", cpu_default), ("w3", w3)] {
        let mut medians = Vec::new();
        for (loss, clip) in [(LossKind::WganGp, None), (LossKind::Wgan, Some(0.01))] {
            let config = TrainConfig {
                loss,
                clip,
                ..base.clone()
            };
            let mut trainer = Trainer::new(&gpu, config).unwrap();
            // Warm: pipelines compiled, pool filled, the losses' staging
            // buffer taken.
            trainer.iteration().unwrap();
            trainer.metrics().unwrap();
            let (before, pool_before) = (gpu.recorder_stats(), gpu.pool_stats());
            let times: Vec<f64> = (0..iters)
                .map(|_| {
                    let start = Instant::now();
                    trainer.iteration().unwrap();
                    trainer.metrics().unwrap(); // ends with the losses read back
                    start.elapsed().as_secs_f64()
                })
                .collect();
            let (after, pool) = (gpu.recorder_stats(), gpu.pool_stats());
            let m = median(times.clone());
            println!(
                "{name} {}: {:.0} ms/iter (min {:.0}, max {:.0}, n {iters}); {} dispatches, {} submits per \
                 iteration; pool peak {:.1} MB, {} allocations after warm-up",
                loss.name(),
                1e3 * m,
                1e3 * times.iter().copied().fold(f64::MAX, f64::min),
                1e3 * times.iter().copied().fold(0.0, f64::max),
                (after.dispatches - before.dispatches) / iters as u64,
                (after.submits - before.submits) / iters as u64,
                pool.peak_bytes_held as f64 / 1e6,
                pool.allocations - pool_before.allocations,
            );
            medians.push(m);
            if loss == LossKind::WganGp {
                gpu.start_profiling().unwrap();
                trainer.iteration().unwrap();
                let profile = gpu.take_profile().unwrap();
                for line in profile.report().lines().take(9) {
                    println!("    {line}");
                }
            }
        }
        println!(
            "{name}: penalty share {:.0}% (1 − wgan/wgan-gp)",
            100.0 * (1.0 - medians[1] / medians[0])
        );
    }
}
