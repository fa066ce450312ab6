//! The performance issue's workloads as whole iterations (5 critic steps +
//! 1 generator step + the losses read back), the same lines as `gpugan
//! bench`: W1 MLP WGAN-clip, W2 MLP WGAN-GP, W3 DCGAN-28 WGAN-GP, then the
//! square matmuls. An iteration is too long for criterion's ten-sample
//! minimum on lavapipe (W3: about 10 s), so this times a few itself.
//! `WORKLOAD_BENCH_ITERS` sets the timed iterations (default 3).

use gpugan::bench::{Workload, matmul_lines, training_line};
use gpugan::{AdapterChoice, Gpu};

fn main() {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    println!(
        "workloads on {} ({:?}); matmul: {}",
        gpu.info().name,
        gpu.info().backend,
        gpu.matmul_family()
    );
    let iters: usize = std::env::var("WORKLOAD_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for w in [Workload::W1, Workload::W2, Workload::W3] {
        let (line, _) = training_line(&gpu, w, iters).unwrap();
        println!("{line}");
    }
    for line in matmul_lines(&gpu, 5).unwrap() {
        println!("{line}");
    }
}
