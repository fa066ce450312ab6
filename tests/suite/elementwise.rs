//! Elementwise kernels against their twins; gradients against finite
//! differences of the twins.

use gpugan::gpu::kernels::elementwise::{
    Binary, Unary, UnaryGrad, binary_into, unary_grad_into, unary_into,
};

use crate::common::{
    ELEMENTWISE_TOL, RAGGED, Rng, TRANSCENDENTAL_TOL, assert_close, central_difference, gpu,
    poisoned, read, upload,
};
use crate::reference::elementwise as twin;

/// Lengths: ragged, exactly one workgroup, a large odd one, and multiples
/// of 4 (the vec4 entries: one vec4, one workgroup of them and more).
fn lengths() -> Vec<usize> {
    let mut v = RAGGED.to_vec();
    v.extend([256, 300_001, 4, 1024, 300_004]);
    v
}

#[test]
fn binary_ops() {
    let mut rng = Rng::new(10);
    for op in [
        Binary::Add,
        Binary::Sub,
        Binary::Mul,
        Binary::Div,
        Binary::Axpy(-0.75),
    ] {
        for n in lengths() {
            let (x, y) = (rng.vec(n), rng.vec(n));
            let out = poisoned(&[n]);
            binary_into(gpu(), op, &upload(&x, &[n]), &upload(&y, &[n]), &out).unwrap();
            assert_close(
                &format!("{op:?} n={n}"),
                &read(&out),
                &twin::binary(op, &x, &y),
                ELEMENTWISE_TOL,
            );
        }
    }
}

fn unary_tolerance(op: Unary) -> f64 {
    match op {
        Unary::Tanh | Unary::Sigmoid | Unary::Softplus => TRANSCENDENTAL_TOL,
        _ => ELEMENTWISE_TOL,
    }
}

#[test]
fn unary_ops() {
    let mut rng = Rng::new(11);
    let ops = [
        Unary::Scale(1.5),
        Unary::Relu,
        Unary::LeakyRelu(0.2),
        Unary::Tanh,
        Unary::Sigmoid,
        Unary::Square,
        Unary::Sqrt,
        Unary::Shift(-0.3),
        Unary::Softplus,
    ];
    for op in ops {
        for n in lengths() {
            let mut x = rng.vec(n);
            if op == Unary::Sqrt {
                x.iter_mut().for_each(|v| *v = v.abs());
            }
            let out = poisoned(&[n]);
            unary_into(gpu(), op, &upload(&x, &[n]), &out).unwrap();
            assert_close(
                &format!("{op:?} n={n}"),
                &read(&out),
                &twin::unary(op, &x),
                unary_tolerance(op),
            );
        }
    }
}

#[test]
fn activations_saturate_without_nan() {
    // 6 values take the scalar entry, all 8 the vec4 one.
    let all = [-1e4f32, -100.0, -30.0, 30.0, 100.0, 1e4, -15.5, 15.5];
    for x in [&all[..6], &all[..]] {
        for op in [Unary::Tanh, Unary::Sigmoid, Unary::Softplus] {
            let out = poisoned(&[x.len()]);
            unary_into(gpu(), op, &upload(x, &[x.len()]), &out).unwrap();
            assert_close(
                &format!("{op:?} extremes ({} values)", x.len()),
                &read(&out),
                &twin::unary(op, x),
                TRANSCENDENTAL_TOL,
            );
        }
    }
}

/// The forward op a gradient kernel differentiates, and whether the kernel
/// takes the forward output (tanh, sigmoid) rather than the input.
fn forward_of(op: UnaryGrad) -> (Unary, bool) {
    match op {
        UnaryGrad::Relu => (Unary::Relu, false),
        UnaryGrad::LeakyRelu(s) => (Unary::LeakyRelu(s), false),
        UnaryGrad::Tanh => (Unary::Tanh, true),
        UnaryGrad::Sigmoid => (Unary::Sigmoid, true),
    }
}

const GRAD_OPS: [UnaryGrad; 4] = [
    UnaryGrad::Relu,
    UnaryGrad::LeakyRelu(0.2),
    UnaryGrad::Tanh,
    UnaryGrad::Sigmoid,
];

#[test]
fn activation_gradients_match_twin() {
    let mut rng = Rng::new(12);
    for op in GRAD_OPS {
        let (fwd, takes_output) = forward_of(op);
        for n in lengths() {
            let (x, g) = (rng.vec(n), rng.vec(n));
            let saved: Vec<f32> = if takes_output {
                twin::unary(fwd, &x).iter().map(|&v| v as f32).collect()
            } else {
                x.clone()
            };
            let out = poisoned(&[n]);
            unary_grad_into(gpu(), op, &upload(&saved, &[n]), &upload(&g, &[n]), &out).unwrap();
            assert_close(
                &format!("{op:?} n={n}"),
                &read(&out),
                &twin::unary_grad(op, &saved, &g),
                ELEMENTWISE_TOL,
            );
        }
    }
}

#[test]
fn activation_gradient_twins_match_finite_differences() {
    let mut rng = Rng::new(13);
    for op in GRAD_OPS {
        let (fwd, takes_output) = forward_of(op);
        // Inputs stay ≥ 0.05 from the kink at 0, so central differences with
        // h = 1e-6 never straddle it.
        for x in rng.vec(200) {
            let x = f64::from(x);
            let numeric = central_difference(|v| twin::unary_f64(fwd, v), x, 1e-6);
            let saved = if takes_output {
                twin::unary_f64(fwd, x)
            } else {
                x
            };
            let analytic = twin::unary_grad(op, &[saved as f32], &[1.0])[0];
            // The saved output is rounded to f32 as the kernel receives it.
            assert!(
                (analytic - numeric).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "{op:?} at {x}: analytic {analytic}, finite difference {numeric}"
            );
        }
    }
}
