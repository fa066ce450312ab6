//! Spectral normalization against its twin: one power iteration, σ and W/σ
//! on a conv-shaped weight, eval mode leaving u alone, the gradient with u
//! and v constant (twin and finite differences), and convergence of σ.

use gpugan::autograd::{Var, grad, ops};
use gpugan::gpu::kernels::random::RandomKey;
use gpugan::nn::SpectralNorm;

use crate::common::{Rng, assert_close, gpu, read, upload};
use crate::reference::spectral as twin;

const SN_TOL: f64 = 1e-5;
const SN_GRAD_TOL: f64 = 1e-4;

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

#[test]
fn one_power_iteration_matches_twin_and_eval_keeps_u() {
    let mut rng = Rng::new(41);
    let (rows, shape) = (17, [17, 3, 3, 3]);
    let w = rng.vec(17 * 27);
    let u0 = rng.vec(rows);
    let sn = SpectralNorm::new(gpu(), rows, RandomKey { seed: 1, stream: 0 }).unwrap();
    gpu().write(&sn.u, &u0).unwrap();
    let weight = Var::parameter(gpu(), upload(&w, &shape));

    let out = sn.normalize(&weight, true).unwrap();
    let (u1, _, sigma, w_sn) = twin::step(&f64s(&w), rows, &f64s(&u0));
    assert!(sigma > 0.0);
    assert_eq!(out.shape(), &shape);
    assert_close("spectral W/σ", &read(out.value()), &w_sn, SN_TOL);
    assert_close("spectral u", &read(&sn.u), &u1, SN_TOL);

    let before = read(&sn.u);
    let eval = sn.normalize(&weight, false).unwrap();
    assert_eq!(read(&sn.u), before, "eval mode must not update u");
    assert!(read(eval.value()).iter().all(|v| v.is_finite()));
}

#[test]
fn gradient_holds_u_and_v_constant() {
    let mut rng = Rng::new(42);
    let rows = 5;
    let w = rng.vec(rows * 7);
    let r = rng.vec(rows * 7);
    let sn = SpectralNorm::new(gpu(), rows, RandomKey { seed: 2, stream: 0 }).unwrap();
    let u0 = read(&sn.u);
    let weight = Var::parameter(gpu(), upload(&w, &[rows, 7]));
    let out = sn.normalize(&weight, true).unwrap();
    let loss =
        ops::sum_all(&ops::mul(&out, &Var::constant(gpu(), upload(&r, &[rows, 7]))).unwrap())
            .unwrap();
    let g = grad(&loss, &[&weight], false).unwrap();

    let (u1, v, _, _) = twin::step(&f64s(&w), rows, &f64s(&u0));
    let want = twin::grad(&f64s(&w), rows, &u1, &v, &f64s(&r));
    assert_close("spectral dW", &read(g[0].value()), &want, SN_GRAD_TOL);

    // The twin's formula against central differences of Σ r ⊙ W / (uᵀ W v).
    let objective = |w: &[f64]| {
        let wv: Vec<f64> = (0..rows)
            .map(|i| (0..7).map(|j| w[i * 7 + j] * v[j]).sum())
            .collect();
        let sigma: f64 = u1.iter().zip(&wv).map(|(a, b)| a * b).sum();
        w.iter()
            .zip(&r)
            .map(|(a, b)| a * f64::from(*b) / sigma)
            .sum::<f64>()
    };
    let h = 1e-6;
    for i in 0..w.len() {
        let mut x = f64s(&w);
        x[i] += h;
        let plus = objective(&x);
        x[i] -= 2.0 * h;
        let fd = (plus - objective(&x)) / (2.0 * h);
        assert!(
            (fd - want[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "entry {i}: {fd} vs {}",
            want[i]
        );
    }
}

#[test]
fn sigma_of_the_normalised_weight_converges_to_one() {
    let mut rng = Rng::new(43);
    let (rows, cols) = (33, 65);
    let w = rng.vec(rows * cols);
    let sn = SpectralNorm::new(gpu(), rows, RandomKey { seed: 3, stream: 0 }).unwrap();
    let weight = Var::parameter(gpu(), upload(&w, &[rows, cols]));
    let mut out = sn.normalize(&weight, true).unwrap();
    for _ in 1..20 {
        out = sn.normalize(&weight, true).unwrap();
    }
    let top = twin::largest_singular_value(&f64s(&read(out.value())), rows);
    assert!(
        (top - 1.0).abs() < 0.02,
        "σ_max(W/σ) = {top} after 20 iterations"
    );
}
