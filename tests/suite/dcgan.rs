//! DCGAN models: output shapes at 28 and 64, names for every parameter,
//! short training runs on the embedded data, the batch-norm refusal.

use gpugan::autograd::Var;
use gpugan::gpu::kernels::random::{RandomKey, normal};
use gpugan::models::Network;
use gpugan::models::dcgan::{Critic, DNorm, DcganShape, Generator};
use gpugan::train::loss::LossKind;
use gpugan::train::{DataSpec, TrainConfig, Trainer};

use crate::common::gpu;

#[test]
fn generator_and_critic_shapes() {
    for (size, channels) in [(28, 1), (64, 3)] {
        let shape = DcganShape {
            size,
            channels,
            z_dim: 10,
            g_width: 4,
            d_width: 3,
        };
        let key = RandomKey { seed: 1, stream: 0 };
        let g = Generator::new(gpu(), shape, key).unwrap();
        let z = Var::constant(gpu(), normal(gpu(), &[2, 10], key, 0.0, 1.0).unwrap());
        let x = g.forward(&z, true).unwrap();
        assert_eq!(x.shape(), &[2, channels, size, size]);
        let pixels = x.to_vec().unwrap();
        assert!(pixels.iter().all(|v| v.abs() <= 1.0), "tanh output");
        assert_eq!(g.parameters().len(), g.parameter_names().len());
        for norm in [DNorm::None, DNorm::Layer, DNorm::Batch] {
            let d = Critic::new(gpu(), shape, norm, key).unwrap();
            assert_eq!(d.forward(&x, true).unwrap().shape(), &[2, 1]);
            assert_eq!(d.parameters().len(), d.parameter_names().len(), "{norm:?}");
        }
    }
}

fn tiny(loss: LossKind, d_norm: DNorm) -> TrainConfig {
    TrainConfig {
        loss,
        d_norm,
        clip: (loss == LossKind::Wgan && d_norm != DNorm::Spectral).then_some(0.01),
        g_width: 4,
        d_width: 4,
        batch_size: 8,
        n_critic: 2,
        steps: 3,
        ..TrainConfig::images_cpu(DataSpec::Embedded)
    }
}

#[test]
fn short_runs_on_embedded_data_stay_finite() {
    for (loss, norm) in [
        (LossKind::WganGp, DNorm::Layer),
        (LossKind::Hinge, DNorm::Batch),
        (LossKind::Hinge, DNorm::Spectral),
        (LossKind::Wgan, DNorm::Spectral),
    ] {
        let mut trainer = Trainer::new(gpu(), tiny(loss, norm)).unwrap();
        for _ in 0..3 {
            trainer.iteration().unwrap();
        }
        let m = trainer.metrics().unwrap();
        assert!(
            m.d_loss.is_finite() && m.g_loss.is_finite(),
            "{loss:?} {norm:?}: {m:?}"
        );
        if loss == LossKind::WganGp {
            assert!(m.penalty > 0.0, "the penalty is computed: {m:?}");
        }
        let samples = trainer.fixed_samples(4, 1).unwrap();
        assert_eq!(samples.len(), 4 * 28 * 28);
    }
}

#[test]
fn batch_norm_critic_with_gradient_penalty_is_refused() {
    let msg = tiny(LossKind::WganGp, DNorm::Batch)
        .validate()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("batch") && msg.contains("per sample"), "{msg}");
}

#[test]
fn wasserstein_estimate_falls_from_its_early_peak() {
    // The first 150 of the 600 steps of `gpugan train`'s CPU default (same
    // seed and schedule, so the same trajectory): the critic first pulls
    // ahead (W rises), then the generator catches up (W falls).
    let mut trainer = Trainer::new(gpu(), TrainConfig::images_cpu(DataSpec::Embedded)).unwrap();
    let mut w = Vec::new();
    for _ in 0..150 {
        trainer.iteration().unwrap();
        let m = trainer.metrics().unwrap();
        assert!(
            [m.d_loss, m.g_loss, m.wasserstein, m.penalty]
                .iter()
                .all(|v| v.is_finite()),
            "step {}: {m:?}",
            trainer.step
        );
        w.push(m.wasserstein);
    }
    let (peak_step, peak) = w[..60]
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let last = w[140..].iter().sum::<f32>() / 10.0;
    eprintln!(
        "W peak {peak:.3} at step {}, mean of the last 10 steps {last:.3}",
        peak_step + 1
    );
    assert!(peak > 1.0, "the critic never pulled ahead: peak {peak}");
    assert!(
        last < 0.5 * peak,
        "W did not come down from its peak {peak:.3} (step {}): last 10 steps average {last:.3}",
        peak_step + 1
    );
}
