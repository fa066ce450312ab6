//! Exact double backward through convolutions and layer norm: the
//! gradient-penalty gradient of a small conv critic (conv → leaky ReLU →
//! conv → layer norm → leaky ReLU → linear) on the GPU against central
//! finite differences of a CPU (f64) penalty.

use gpugan::autograd::{Var, grad, ops};
use gpugan::gpu::kernels::conv::{Conv2dSpec, conv2d_shape};
use gpugan::nn::LayerNorm;
use gpugan::train::loss::{NORM_EPS, gradient_penalty};

use crate::common::{Rng, assert_close, gpu, upload};
use crate::reference::conv as twin;

const LAMBDA: f64 = 10.0;
const SLOPE: f64 = 0.2;
const SPEC: Conv2dSpec = Conv2dSpec {
    stride: 2,
    padding: 1,
};
const X: [usize; 4] = [3, 1, 8, 8];
const W1: [usize; 4] = [4, 1, 3, 3];
const W2: [usize; 4] = [6, 4, 3, 3];
const FLAT: usize = 6 * 2 * 2;
/// torch.nn.LayerNorm's default, as gpugan's.
const LN_EPS: f32 = 1e-5;

/// The critic's parameters in the order W1, b1, W2, b2, γ, β (layer norm
/// over [6, 2, 2]), W3, b3.
fn param_shapes() -> Vec<Vec<usize>> {
    vec![
        W1.to_vec(),
        vec![4],
        W2.to_vec(),
        vec![6],
        vec![6, 2, 2],
        vec![6, 2, 2],
        vec![1, FLAT],
        vec![1],
    ]
}

fn leaky(v: f64) -> f64 {
    if v > 0.0 { v } else { SLOPE * v }
}

fn leaky_grad(v: f64) -> f64 {
    if v > 0.0 { 1.0 } else { SLOPE }
}

fn add_bias(mut y: Vec<f64>, b: &[f64], plane: usize) -> Vec<f64> {
    y.iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v += b[(i / plane) % b.len()]);
    y
}

/// λ·mean_b (‖∇x D(x_b)‖ − 1)² in f64: forward, then the input gradient by
/// hand-written first-order backprop through the twins.
fn cpu_penalty(x: &[f64], p: &[Vec<f64>]) -> f64 {
    let s1 = conv2d_shape(&X, &W1, SPEC).unwrap();
    let h1_shape = s1.output();
    let s2 = conv2d_shape(&h1_shape, &W2, SPEC).unwrap();
    let pre1 = add_bias(
        twin::conv2d(x, &p[0], None, &s1, 2, 1),
        &p[1],
        s1.oh * s1.ow,
    );
    let h1: Vec<f64> = pre1.iter().map(|&v| leaky(v)).collect();
    let pre2 = add_bias(
        twin::conv2d(&h1, &p[2], None, &s2, 2, 1),
        &p[3],
        s2.oh * s2.ow,
    );
    // Layer norm per sample: x̂ = (pre2 − μ)/σ, y = γ x̂ + β.
    let (gamma, beta) = (&p[4], &p[5]);
    let mut x_hat = vec![0.0; pre2.len()];
    let mut sigma = vec![0.0; X[0]];
    for (b, row) in pre2.chunks(FLAT).enumerate() {
        let mean = row.iter().sum::<f64>() / FLAT as f64;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / FLAT as f64;
        sigma[b] = (var + f64::from(LN_EPS)).sqrt();
        for (j, v) in row.iter().enumerate() {
            x_hat[b * FLAT + j] = (v - mean) / sigma[b];
        }
    }
    let y: Vec<f64> = x_hat
        .iter()
        .enumerate()
        .map(|(i, v)| gamma[i % FLAT] * v + beta[i % FLAT])
        .collect();
    // D = W3·flatten(leaky(y)) + b3; ∂D/∂h2 is W3 for every sample.
    let g_x_hat: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, &v)| p[6][i % FLAT] * leaky_grad(v) * gamma[i % FLAT])
        .collect();
    // Through the normalisation: (g − mean(g) − x̂·mean(g ⊙ x̂)) / σ per sample.
    let mut g_pre2 = vec![0.0; pre2.len()];
    for b in 0..X[0] {
        let (g, xh) = (&g_x_hat[b * FLAT..][..FLAT], &x_hat[b * FLAT..][..FLAT]);
        let mean_g = g.iter().sum::<f64>() / FLAT as f64;
        let mean_gx = g.iter().zip(xh).map(|(a, c)| a * c).sum::<f64>() / FLAT as f64;
        for j in 0..FLAT {
            g_pre2[b * FLAT + j] = (g[j] - mean_g - xh[j] * mean_gx) / sigma[b];
        }
    }
    let g_h1 = twin::conv2d_backward_input(&g_pre2, &p[2], None, &s2, 2, 1);
    let g_pre1: Vec<f64> = g_h1
        .iter()
        .zip(&pre1)
        .map(|(g, &v)| g * leaky_grad(v))
        .collect();
    let g_x = twin::conv2d_backward_input(&g_pre1, &p[0], None, &s1, 2, 1);
    let per_sample = g_x.len() / X[0];
    g_x.chunks(per_sample)
        .map(|g| {
            let norm = (g.iter().map(|v| v * v).sum::<f64>() + f64::from(NORM_EPS)).sqrt();
            LAMBDA * (norm - 1.0).powi(2) / X[0] as f64
        })
        .sum()
}

#[test]
fn conv_critic_penalty_gradient_matches_finite_differences() {
    let mut rng = Rng::new(120);
    let x: Vec<f32> = rng.vec(X.iter().product());
    // Weights scaled so the input gradient's norm is near 1 and the penalty
    // is neither flat nor huge.
    let params32: Vec<Vec<f32>> = param_shapes()
        .iter()
        .map(|s| {
            rng.vec(s.iter().product())
                .iter()
                .map(|v| 0.5 * v)
                .collect()
        })
        .collect();

    let vars: Vec<Var> = params32
        .iter()
        .zip(param_shapes())
        .map(|(v, s)| Var::parameter(gpu(), upload(v, &s)))
        .collect();
    let ln = LayerNorm::new(gpu(), &[6, 2, 2]).unwrap();
    assert_eq!(ln.eps, LN_EPS);
    let critic = |x: &Var| -> gpugan::Result<Var> {
        let h = ops::leaky_relu(
            &ops::add_channel_bias(&ops::conv2d(x, &vars[0], SPEC)?, &vars[1])?,
            SLOPE as f32,
        )?;
        let pre2 = ops::add_channel_bias(&ops::conv2d(&h, &vars[2], SPEC)?, &vars[3])?;
        let h = ops::leaky_relu(&ln.forward_with(&pre2, &vars[4], &vars[5])?, SLOPE as f32)?;
        let flat = ops::reshape(&h, &[X[0], FLAT])?;
        ops::add_bias(&ops::matmul(&flat, &vars[6], false, true)?, &vars[7])
    };
    let x_var = Var::constant(gpu(), upload(&x, &X));
    let penalty = gradient_penalty(&x_var, LAMBDA as f32, critic).unwrap();
    let grads = grad(&penalty, &vars.iter().collect::<Vec<_>>(), false).unwrap();

    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut p64: Vec<Vec<f64>> = params32
        .iter()
        .map(|v| v.iter().map(|&t| f64::from(t)).collect())
        .collect();
    let cpu = cpu_penalty(&x64, &p64);
    let gpu_value = f64::from(penalty.to_vec().unwrap()[0]);
    assert!(
        (gpu_value - cpu).abs() <= 1e-5 * cpu.max(1.0),
        "penalty: GPU {gpu_value}, CPU {cpu}"
    );
    assert!(
        cpu > 1e-3,
        "the penalty should not vanish at this point: {cpu}"
    );

    let h = 1e-6;
    for (k, g) in grads.iter().enumerate() {
        let mut numeric = vec![0.0; p64[k].len()];
        for idx in 0..numeric.len() {
            let orig = p64[k][idx];
            p64[k][idx] = orig + h;
            let plus = cpu_penalty(&x64, &p64);
            p64[k][idx] = orig - h;
            let minus = cpu_penalty(&x64, &p64);
            p64[k][idx] = orig;
            numeric[idx] = (plus - minus) / (2.0 * h);
        }
        let got = g.to_vec().unwrap();
        if numeric.iter().all(|v| v.abs() < 1e-9) {
            // Biases only move the leaky-ReLU masks: zero gradient a.e.
            assert!(
                got.iter().all(|v| v.abs() < 1e-5),
                "parameter {k}: expected zeros, got {got:?}"
            );
        } else {
            assert_close(&format!("∂penalty/∂param{k}"), &got, &numeric, 1e-3);
        }
    }
}
