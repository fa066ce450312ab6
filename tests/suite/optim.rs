//! Adam and RMSprop, with and without WGAN's weight clipping fused in:
//! 20-step trajectories on random gradients against PyTorch's update rules,
//! with default and other hyper-parameters.

use gpugan::Tensor;
use gpugan::gpu::kernels::fill::full;
use gpugan::gpu::kernels::optim::{AdamStep, RmspropStep, adam_step, rmsprop_step};

use crate::common::{Rng, assert_close, gpu, poisoned, read, upload};
use crate::reference::optim as twin;

const STEPS: u64 = 20;
/// f32 state against f64 over 20 steps.
const OPTIM_TOL: f64 = 1e-5;
/// Ragged sizes take the scalar entries, 64 the vec4 ones.
const SIZES: [usize; 4] = [1, 17, 64, 257];

fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

fn zeros(n: usize) -> Tensor {
    full(gpu(), &[n], 0.0).unwrap()
}

/// Starting parameters: with clipping, within ±2c, so that about half start
/// outside the bound and the updates move some across it.
fn start(rng: &mut Rng, n: usize, clip: Option<f32>) -> Vec<f32> {
    let scale = clip.map_or(1.0, |c| 2.0 * c);
    rng.vec(n).iter().map(|x| x * scale).collect()
}

/// Clipped parameters are inside the bound; returns how many sit at it
/// (each trajectory checks that some do, so that its clamp was exercised).
fn clipped_count(case: &str, theta: &[f32], clip: Option<f32>) -> usize {
    let Some(c) = clip else { return 0 };
    assert!(theta.iter().all(|x| x.abs() <= c), "{case}: escaped ±{c}");
    theta.iter().filter(|x| x.abs() == c).count()
}

fn adam_trajectory(h: AdamStep, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut at_bound = 0;
    for n in SIZES {
        let theta0 = start(&mut rng, n, h.clip);
        let theta = upload(&theta0, &[n]);
        let (m, v) = (zeros(n), zeros(n));
        let mut want = to_f64(&theta0);
        let mut state = twin::AdamState {
            m: vec![0.0; n],
            v: vec![0.0; n],
        };
        for step in 1..=STEPS {
            let g = rng.vec(n);
            let h = AdamStep { step, ..h };
            adam_step(gpu(), &h, &theta, &upload(&g, &[n]), &m, &v).unwrap();
            twin::adam_step(&h, &mut want, &to_f64(&g), &mut state);
        }
        let case = format!("{h:?} n={n}");
        assert_close(&case, &read(&theta), &want, OPTIM_TOL);
        at_bound += clipped_count(&case, &read(&theta), h.clip);
        assert_close(&format!("{case} m"), &read(&m), &state.m, OPTIM_TOL);
        assert_close(&format!("{case} v"), &read(&v), &state.v, OPTIM_TOL);
    }
    assert!(
        h.clip.is_none() || at_bound > 0,
        "{h:?}: no value at the bound"
    );
}

/// torch.optim.Adam's defaults, no clipping.
const ADAM_DEFAULTS: AdamStep = AdamStep {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weight_decay: 0.0,
    step: 1,
    clip: None,
};

#[test]
fn adam_matches_pytorch() {
    let defaults = ADAM_DEFAULTS;
    adam_trajectory(defaults, 50);
    let wgan_gp = AdamStep {
        lr: 1e-4,
        beta1: 0.5,
        beta2: 0.9,
        ..defaults
    };
    adam_trajectory(wgan_gp, 51);
    let l2 = AdamStep {
        lr: 3e-2,
        beta1: 0.0,
        beta2: 0.99,
        eps: 1e-3,
        weight_decay: 0.1,
        ..defaults
    }; // β1 = 0, large ε, L2
    adam_trajectory(l2, 52);
    // WGAN's clipping (the paper's critic takes RMSprop; Adam is allowed).
    adam_trajectory(
        AdamStep {
            lr: 5e-3,
            clip: Some(0.01),
            ..wgan_gp
        },
        53,
    );
}

fn rmsprop_trajectory(h: RmspropStep, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut at_bound = 0;
    for n in SIZES {
        let theta0 = start(&mut rng, n, h.clip);
        let theta = upload(&theta0, &[n]);
        // State a configuration does not use is never written, and NaN
        // there must not reach θ (whether the kernel loads it, a speed
        // matter, cannot be seen from here).
        let unused_or_zeros = |used: bool| if used { zeros(n) } else { poisoned(&[n]) };
        let sq = zeros(n);
        let ga = unused_or_zeros(h.centered);
        let buf = unused_or_zeros(h.momentum > 0.0);
        let mut want = to_f64(&theta0);
        let mut state = twin::RmspropState {
            square_avg: vec![0.0; n],
            grad_avg: vec![0.0; n],
            momentum_buf: vec![0.0; n],
        };
        for _ in 0..STEPS {
            let g = rng.vec(n);
            rmsprop_step(gpu(), &h, &theta, &upload(&g, &[n]), &sq, &ga, &buf).unwrap();
            twin::rmsprop_step(&h, &mut want, &to_f64(&g), &mut state);
        }
        let case = format!("{h:?} n={n}");
        assert_close(&case, &read(&theta), &want, OPTIM_TOL);
        at_bound += clipped_count(&case, &read(&theta), h.clip);
        let states = [
            ("square_avg", &sq, &state.square_avg, true),
            ("grad_avg", &ga, &state.grad_avg, h.centered),
            (
                "momentum_buffer",
                &buf,
                &state.momentum_buf,
                h.momentum > 0.0,
            ),
        ];
        for (name, got, want, used) in states {
            if used {
                assert_close(&format!("{case} {name}"), &read(got), want, OPTIM_TOL);
            } else {
                assert!(
                    read(got).iter().all(|x| x.is_nan()),
                    "{case}: {name} written"
                );
            }
        }
    }
    assert!(
        h.clip.is_none() || at_bound > 0,
        "{h:?}: no value at the bound"
    );
}

#[test]
fn rmsprop_matches_pytorch() {
    let defaults = RmspropStep {
        lr: 1e-2,
        alpha: 0.99,
        eps: 1e-8,
        weight_decay: 0.0,
        momentum: 0.0,
        centered: false,
        clip: None,
    };
    rmsprop_trajectory(defaults, 60);
    // The WGAN paper's critic: lr 5e-5, weights clipped to ±0.01.
    rmsprop_trajectory(
        RmspropStep {
            lr: 5e-5,
            clip: Some(0.01),
            ..defaults
        },
        61,
    );
    let all_options = RmspropStep {
        lr: 1e-3,
        alpha: 0.9,
        eps: 1e-6,
        weight_decay: 0.01,
        momentum: 0.5,
        centered: true,
        clip: None,
    };
    rmsprop_trajectory(all_options, 62);
    rmsprop_trajectory(
        RmspropStep {
            clip: Some(0.05),
            ..all_options
        },
        63,
    );
}

#[test]
fn mismatched_state_and_bad_clip_bounds_are_refused() {
    let adam = ADAM_DEFAULTS;
    // Mismatched state is an error naming both shapes.
    let (p3, p4) = (poisoned(&[3]), poisoned(&[4]));
    let msg = adam_step(gpu(), &adam, &p3, &p4, &p3, &p3)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("[3]") && msg.contains("[4]"), "{msg}");
    // A clip bound of 0 would zero every parameter; negative or NaN ones
    // mean nothing: each is refused, naming the bound.
    for c in [0.0, -0.01, f32::NAN] {
        let h = AdamStep {
            clip: Some(c),
            ..adam
        };
        let msg = adam_step(gpu(), &h, &p3, &p3, &p3, &p3)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("clipping") && msg.contains(&c.to_string()),
            "{msg}"
        );
    }
}
