//! Conditional GANs: on 8 gaussians with the mode index as the class, the
//! samples of class k land on mode k, with either critic; column
//! concatenation and slicing against their definition and gradients.

use gpugan::autograd::{Var, grad, ops};
use gpugan::gpu::kernels::toy::ToyKind;
use gpugan::train::{CondCritic, LrDecay, TrainConfig, Trainer};

use crate::common::{Rng, assert_close, gpu, read, upload};

/// Fraction of samples whose nearest 8-gaussians mode is their class.
fn on_their_mode(samples: &[f32]) -> f64 {
    let centre = |k: usize| {
        let a = k as f32 * std::f32::consts::FRAC_PI_4;
        (2.0 * a.cos() / 2f32.sqrt(), 2.0 * a.sin() / 2f32.sqrt())
    };
    let hits = samples
        .chunks(2)
        .enumerate()
        .filter(|(i, p)| {
            let d = |k: usize| {
                let (x, y) = centre(k);
                (p[0] - x).powi(2) + (p[1] - y).powi(2)
            };
            (0..8).min_by(|&a, &b| d(a).total_cmp(&d(b))) == Some(i % 8)
        })
        .count();
    hits as f64 / (samples.len() / 2) as f64
}

#[test]
fn samples_of_class_k_land_on_mode_k() {
    for (critic, steps) in [(CondCritic::Projection, 300), (CondCritic::Concat, 300)] {
        let config = TrainConfig {
            conditional: true,
            cond_critic: critic,
            steps,
            lr_decay: LrDecay::Linear,
            ..TrainConfig::toy_cpu(ToyKind::EightGaussians)
        };
        let mut t = Trainer::new(gpu(), config).unwrap();
        assert_eq!(t.classes, 8);
        for _ in 0..steps {
            t.iteration().unwrap();
        }
        // Sample i has class i mod 8.
        let share = on_their_mode(&t.fixed_samples(800, 1).unwrap());
        eprintln!(
            "{critic:?}: {:.1}% of samples on their class's mode",
            100.0 * share
        );
        assert!(
            share >= 0.90,
            "{critic:?}: {:.1}% on their class's mode",
            100.0 * share
        );
    }
}

#[test]
fn concat_and_slice_columns_with_gradients() {
    let mut rng = Rng::new(50);
    let (a, b) = (rng.vec(3 * 4), rng.vec(3 * 2));
    let va = Var::parameter(gpu(), upload(&a, &[3, 4]));
    let vb = Var::parameter(gpu(), upload(&b, &[3, 2]));
    let cat = ops::concat_cols(&va, &vb).unwrap();
    let want: Vec<f64> = (0..18)
        .map(|i| {
            f64::from(if i % 6 < 4 {
                a[i / 6 * 4 + i % 6]
            } else {
                b[i / 6 * 2 + i % 6 - 4]
            })
        })
        .collect();
    assert_close("concat_cols", &read(cat.value()), &want, 0.0);
    // Σ w ⊙ slice(concat) has gradient w in the sliced columns, 0 elsewhere.
    let mid = ops::slice_cols(&cat, 3, 2).unwrap();
    let w = rng.vec(6);
    let loss =
        ops::sum_all(&ops::mul(&mid, &Var::constant(gpu(), upload(&w, &[3, 2]))).unwrap()).unwrap();
    let g = grad(&loss, &[&va, &vb], false).unwrap();
    let want_a: Vec<f64> = (0..12)
        .map(|i| {
            if i % 4 == 3 {
                f64::from(w[i / 4 * 2])
            } else {
                0.0
            }
        })
        .collect();
    let want_b: Vec<f64> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                f64::from(w[i / 2 * 2 + 1])
            } else {
                0.0
            }
        })
        .collect();
    assert_close("d/da", &read(g[0].value()), &want_a, 0.0);
    assert_close("d/db", &read(g[1].value()), &want_b, 0.0);
}

#[test]
fn conditional_dcgan_on_embedded_labels_with_either_critic() {
    use gpugan::train::DataSpec;
    for critic in [CondCritic::Projection, CondCritic::Concat] {
        let config = TrainConfig {
            conditional: true,
            cond_critic: critic,
            g_width: 4,
            d_width: 4,
            batch_size: 8,
            n_critic: 1,
            ..TrainConfig::images_cpu(DataSpec::Embedded)
        };
        let mut t = Trainer::new(gpu(), config).unwrap();
        assert_eq!(t.classes, 10, "Fashion-MNIST has ten classes");
        for _ in 0..2 {
            t.iteration().unwrap();
        }
        let m = t.metrics().unwrap();
        assert!(m.d_loss.is_finite() && m.penalty > 0.0, "{critic:?}: {m:?}");
        // A grid row per class: 8 columns × 10 classes.
        assert_eq!(t.fixed_samples(80, 8).unwrap().len(), 80 * 28 * 28);
    }
}

#[test]
fn projection_critic_keeps_spectral_norm_on_its_head() {
    // With the class embedding at zero the projection critic is its inner
    // critic's head on the features: under spectral norm a one-row head
    // W/σ(W) with σ = ‖W‖ (exact after one power iteration for one row).
    use gpugan::autograd::{Var, no_grad};
    use gpugan::models::dcgan::DNorm;
    use gpugan::train::DataSpec;
    use gpugan::train::loss::LossKind;
    let config = TrainConfig {
        conditional: true,
        cond_critic: CondCritic::Projection,
        d_norm: DNorm::Spectral,
        loss: LossKind::Hinge,
        g_width: 4,
        d_width: 4,
        batch_size: 3,
        ..TrainConfig::images_cpu(DataSpec::Embedded)
    };
    let t = Trainer::new(gpu(), config).unwrap();
    let _no_grad = no_grad();
    let mut params = t.critic.parameters();
    let n = params.len();
    let embed = params[n - 1].value().clone();
    params[n - 1] = Var::constant(gpu(), upload(&vec![0.0; embed.len()], embed.shape()));
    let mut rng = Rng::new(51);
    let pixels = rng.vec(3 * 28 * 28);
    let mut packed = Vec::new();
    for (i, row) in pixels.chunks(28 * 28).enumerate() {
        packed.extend_from_slice(row);
        packed.extend((0..10).map(|k| if k == i { 1.0 } else { 0.0 }));
    }
    let packed = Var::constant(gpu(), upload(&packed, &[3, 28 * 28 + 10]));
    let got = read(
        t.critic
            .forward_with(&packed, &params, true)
            .unwrap()
            .value(),
    );

    let (w, b) = (read(params[n - 3].value()), read(params[n - 2].value()));
    let norm = w.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
    let x = Var::constant(gpu(), upload(&pixels, &[3, 1, 28, 28]));
    // The features do not depend on the head, so the inner critic's own
    // features stand in for the projection critic's.
    let inner_params = &params[..n - 1];
    let (_, critic) =
        gpugan::train::trainer::networks(gpu(), &t.config, Some([1, 28, 28]), 0).unwrap();
    let features = read(
        critic
            .features_with(&x, inner_params, true)
            .unwrap()
            .value(),
    );
    let want: Vec<f64> = features
        .chunks(w.len())
        .map(|f| {
            let dot: f64 = f
                .iter()
                .zip(&w)
                .map(|(a, c)| f64::from(*a) * f64::from(*c))
                .sum();
            dot / norm + f64::from(b[0])
        })
        .collect();
    assert_close("spectral head in the projection critic", &got, &want, 1e-4);
}
