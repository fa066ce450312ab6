//! Whole training iterations on 8 gaussians in the WGAN-GP paper's toy
//! setting (critic and generator with 3 hidden layers of 512, batch 256,
//! n_critic 5). The penalty's share of an iteration is the difference
//! between `wgan_gp` and `wgan` (the same iteration with weight clipping in
//! place of the penalty), over `wgan_gp`.

use criterion::{Criterion, criterion_group, criterion_main};
use gpugan::gpu::kernels::toy::ToyKind;
use gpugan::train::loss::LossKind;
use gpugan::train::{TrainConfig, Trainer};
use gpugan::{AdapterChoice, Gpu};

fn bench_iterations(c: &mut Criterion) {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    let mut group = c.benchmark_group(format!(
        "toy_iteration [{} / {:?}]",
        gpu.info().name,
        gpu.info().backend
    ));
    group.sample_size(10);
    for (name, loss, clip) in [
        ("wgan_gp", LossKind::WganGp, None),
        ("wgan", LossKind::Wgan, Some(0.01)),
    ] {
        let config = TrainConfig {
            loss,
            clip,
            ..TrainConfig::toy_default(ToyKind::EightGaussians)
        };
        let mut trainer = Trainer::new(&gpu, config).unwrap();
        trainer.iteration().unwrap(); // warm: pipelines compiled, pool filled
        gpu.sync().unwrap();
        let before = gpu.recorder_stats();
        trainer.iteration().unwrap();
        gpu.sync().unwrap();
        let after = gpu.recorder_stats();
        eprintln!(
            "{name}: {} dispatches and {} submits per iteration; pool {:?}",
            after.dispatches - before.dispatches,
            after.submits - before.submits,
            gpu.pool_stats()
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                trainer.iteration().unwrap();
                gpu.sync().unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_iterations);
criterion_main!(benches);
