//! Adam, RMSprop and clipping: 20-step trajectories on random gradients
//! against PyTorch's update rules, with default and other hyper-parameters.

use gpugan::Tensor;
use gpugan::gpu::kernels::fill::full;
use gpugan::gpu::kernels::optim::{AdamStep, RmspropStep, adam_step, clip_step, rmsprop_step};

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

fn adam_trajectory(lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, seed: u64) {
    let mut rng = Rng::new(seed);
    for n in SIZES {
        let theta0 = rng.vec(n);
        let theta = upload(&theta0, &[n]);
        let (m, v) = (zeros(n), zeros(n));
        let mut want = to_f64(&theta0);
        let mut state = twin::AdamState {
            m: vec![0.0; n],
            v: vec![0.0; n],
        };
        for step in 1..=STEPS {
            let g = rng.vec(n);
            let h = AdamStep {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                step,
            };
            adam_step(gpu(), &h, &theta, &upload(&g, &[n]), &m, &v).unwrap();
            twin::adam_step(&h, &mut want, &to_f64(&g), &mut state);
        }
        let case =
            format!("adam lr={lr} betas=({beta1},{beta2}) eps={eps} wd={weight_decay} n={n}");
        assert_close(&case, &read(&theta), &want, OPTIM_TOL);
        assert_close(&format!("{case} m"), &read(&m), &state.m, OPTIM_TOL);
        assert_close(&format!("{case} v"), &read(&v), &state.v, OPTIM_TOL);
    }
}

#[test]
fn adam_matches_pytorch() {
    adam_trajectory(1e-3, 0.9, 0.999, 1e-8, 0.0, 50); // PyTorch defaults
    adam_trajectory(1e-4, 0.5, 0.9, 1e-8, 0.0, 51); // WGAN-GP
    adam_trajectory(3e-2, 0.0, 0.99, 1e-3, 0.1, 52); // β1 = 0, large ε, L2
}

fn rmsprop_trajectory(h: RmspropStep, seed: u64) {
    let mut rng = Rng::new(seed);
    for n in SIZES {
        let theta0 = rng.vec(n);
        let theta = upload(&theta0, &[n]);
        let (sq, ga, buf) = (zeros(n), zeros(n), zeros(n));
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
        assert_close(
            &format!("{case} square_avg"),
            &read(&sq),
            &state.square_avg,
            OPTIM_TOL,
        );
    }
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
    };
    rmsprop_trajectory(defaults, 60);
    rmsprop_trajectory(
        RmspropStep {
            lr: 5e-5,
            ..defaults
        },
        61,
    ); // WGAN
    let all_options = RmspropStep {
        lr: 1e-3,
        alpha: 0.9,
        eps: 1e-6,
        weight_decay: 0.01,
        momentum: 0.5,
        centered: true,
    };
    rmsprop_trajectory(all_options, 62);
}

#[test]
fn clipping_clamps_every_element() {
    let mut rng = Rng::new(70);
    for n in SIZES {
        let v: Vec<f32> = rng.vec(n).iter().map(|x| x * 0.03).collect();
        let theta = upload(&v, &[n]);
        clip_step(gpu(), &theta, 0.01).unwrap();
        let mut want = to_f64(&v);
        twin::clip(&mut want, 0.01);
        assert_close(&format!("clip n={n}"), &read(&theta), &want, 1e-7);
    }
    // Mismatched state is an error naming both shapes.
    let msg = adam_step(
        gpu(),
        &AdamStep {
            lr: 1.0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            step: 1,
        },
        &poisoned(&[3]),
        &poisoned(&[4]),
        &poisoned(&[3]),
        &poisoned(&[3]),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("[3]") && msg.contains("[4]"), "{msg}");
}
