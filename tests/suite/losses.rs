//! The GAN losses against their formulas on random critic outputs, and
//! short runs of every loss and optimizer through the trainer.

use gpugan::autograd::Var;
use gpugan::gpu::kernels::toy::ToyKind;
use gpugan::train::loss::{LossKind, critic_loss, generator_loss};
use gpugan::train::{OptKind, TrainConfig, Trainer};

use crate::common::{Rng, TRANSCENDENTAL_TOL, assert_close, gpu, upload};

fn softplus(v: f64) -> f64 {
    v.max(0.0) + (-v.abs()).exp().ln_1p()
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let all: Vec<f64> = v.collect();
    all.iter().sum::<f64>() / all.len() as f64
}

#[test]
fn losses_match_their_formulas() {
    let mut rng = Rng::new(100);
    let n = 37;
    // Critic outputs of both signs and beyond ±1, so the hinges bite.
    let real: Vec<f32> = rng.vec(n).iter().map(|v| 3.0 * v).collect();
    let fake: Vec<f32> = rng.vec(n).iter().map(|v| 3.0 * v).collect();
    let (r64, f64s) = (
        real.iter().map(|&v| f64::from(v)),
        fake.iter().map(|&v| f64::from(v)),
    );
    let (r, f): (Vec<f64>, Vec<f64>) = (r64.collect(), f64s.collect());
    let want_critic = |kind| match kind {
        LossKind::Gan => {
            mean(r.iter().map(|&v| softplus(-v))) + mean(f.iter().map(|&v| softplus(v)))
        }
        LossKind::Wgan | LossKind::WganGp => mean(f.iter().copied()) - mean(r.iter().copied()),
        LossKind::Hinge => {
            mean(r.iter().map(|&v| (1.0 - v).max(0.0)))
                + mean(f.iter().map(|&v| (1.0 + v).max(0.0)))
        }
    };
    let want_generator = |kind| match kind {
        LossKind::Gan => mean(f.iter().map(|&v| softplus(-v))),
        _ => -mean(f.iter().copied()),
    };
    let d_real = Var::constant(gpu(), upload(&real, &[n, 1]));
    let d_fake = Var::constant(gpu(), upload(&fake, &[n, 1]));
    for kind in [
        LossKind::Gan,
        LossKind::Wgan,
        LossKind::WganGp,
        LossKind::Hinge,
    ] {
        let got = critic_loss(kind, &d_real, &d_fake)
            .unwrap()
            .to_vec()
            .unwrap();
        assert_close(
            &format!("{kind:?} critic loss"),
            &got,
            &[want_critic(kind)],
            TRANSCENDENTAL_TOL,
        );
        let got = generator_loss(kind, &d_fake).unwrap().to_vec().unwrap();
        assert_close(
            &format!("{kind:?} generator loss"),
            &got,
            &[want_generator(kind)],
            TRANSCENDENTAL_TOL,
        );
    }
}

#[test]
fn every_loss_and_optimizer_trains_without_nan() {
    let runs = [
        (LossKind::Hinge, OptKind::Adam, None),
        (LossKind::Wgan, OptKind::Rmsprop, Some(0.01)),
        (LossKind::WganGp, OptKind::Rmsprop, None),
    ];
    for (loss, opt, clip) in runs {
        let config = TrainConfig {
            loss,
            opt,
            clip,
            lr: if opt == OptKind::Rmsprop { 5e-4 } else { 1e-3 },
            hidden: 16,
            batch_size: 64,
            steps: 20,
            ..TrainConfig::toy_cpu(ToyKind::TwentyFiveGaussians)
        };
        let mut trainer = Trainer::new(gpu(), config).unwrap();
        for _ in 0..20 {
            trainer.iteration().unwrap();
        }
        let m = trainer.metrics().unwrap();
        assert!(
            m.d_loss.is_finite() && m.g_loss.is_finite() && m.wasserstein.is_finite(),
            "{loss:?} {opt:?}: {m:?}"
        );
        if let Some(c) = clip {
            let max = trainer
                .critic
                .parameters()
                .iter()
                .flat_map(|p| p.to_vec().unwrap())
                .fold(0.0f32, |a, v| a.max(v.abs()));
            assert!(
                max <= c,
                "{loss:?}: a critic weight escaped the clip: {max}"
            );
        }
    }
}
