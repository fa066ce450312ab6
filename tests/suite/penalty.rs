//! Exact double backward: the gradient of the WGAN-GP penalty with respect
//! to every critic parameter, on the GPU, against a hand-derived CPU
//! reference and finite differences of the CPU penalty.

use gpugan::autograd::{Var, grad};
use gpugan::gpu::kernels::random::RandomKey;
use gpugan::nn::{Act, Init, Mlp};
use gpugan::train::loss::{NORM_EPS, gradient_penalty};

use crate::common::{Rng, assert_close, gpu, read, upload};
use crate::reference::mlp::MlpRef;

const LAMBDA: f32 = 10.0;
const SLOPE: f32 = 0.2;
/// Relative error allowed between the GPU's f32 double backward and the f64
/// reference: the acceptance bar of the autograd issue.
const DOUBLE_BACKWARD_TOL: f64 = 1e-3;

#[test]
fn penalty_gradient_matches_reference_and_finite_differences() {
    let sizes = [2, 17, 33, 1];
    let critic = Mlp::new(
        gpu(),
        &sizes,
        Act::LeakyRelu(SLOPE),
        None,
        Init::PyTorch,
        RandomKey { seed: 3, stream: 0 },
    )
    .unwrap();
    let mut rng = Rng::new(40);
    let batch = 9;
    let x = rng.vec(batch * 2);
    let x_var = Var::constant(gpu(), upload(&x, &[batch, 2]));

    let penalty = gradient_penalty(&x_var, LAMBDA, |v| critic.forward(v)).unwrap();
    let params = critic.parameters();
    let grads = grad(&penalty, &params.iter().collect::<Vec<_>>(), false).unwrap();

    let to_f64 = |v: &[f32]| v.iter().map(|&t| f64::from(t)).collect::<Vec<f64>>();
    let reference = MlpRef {
        weights: critic
            .layers
            .iter()
            .map(|l| to_f64(&read(l.weight.value())))
            .collect(),
        biases: critic
            .layers
            .iter()
            .map(|l| to_f64(&read(l.bias.value())))
            .collect(),
        sizes: sizes.to_vec(),
        slope: f64::from(SLOPE),
    };
    let xs: Vec<Vec<f64>> = x.chunks(2).map(to_f64).collect();
    let (lambda, eps) = (f64::from(LAMBDA), f64::from(NORM_EPS));

    let gpu_penalty = f64::from(penalty.to_vec().unwrap()[0]);
    let cpu_penalty = reference.penalty(&xs, lambda, eps);
    assert!(
        (gpu_penalty - cpu_penalty).abs() <= 1e-5 * cpu_penalty.abs().max(1.0),
        "penalty: GPU {gpu_penalty}, CPU {cpu_penalty}"
    );

    let want = reference.penalty_weight_grads(&xs, lambda, eps);
    for (l, layer_want) in want.iter().enumerate() {
        let got = read(grads[2 * l].value());
        assert_close(
            &format!("∂penalty/∂W{l}"),
            &got,
            layer_want,
            DOUBLE_BACKWARD_TOL,
        );
        // Leaky ReLU's masks are locally constant: the biases do not move the penalty.
        let bias_grad = read(grads[2 * l + 1].value());
        let scale = layer_want.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(
            bias_grad
                .iter()
                .all(|&g| f64::from(g).abs() <= 1e-5 * scale),
            "∂penalty/∂b{l} should vanish: {bias_grad:?}"
        );
    }

    // The reference against central finite differences of the CPU penalty.
    let h = 1e-6;
    for (l, layer_want) in want.iter().enumerate() {
        for idx in (0..layer_want.len()).step_by(7) {
            let mut plus = MlpRef {
                weights: reference.weights.clone(),
                biases: reference.biases.clone(),
                sizes: reference.sizes.clone(),
                slope: reference.slope,
            };
            plus.weights[l][idx] += h;
            let f_plus = plus.penalty(&xs, lambda, eps);
            plus.weights[l][idx] -= 2.0 * h;
            let f_minus = plus.penalty(&xs, lambda, eps);
            let numeric = (f_plus - f_minus) / (2.0 * h);
            assert!(
                (numeric - layer_want[idx]).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "W{l}[{idx}]: reference {}, finite difference {numeric}",
                layer_want[idx]
            );
        }
    }
}

#[test]
fn penalty_kernels_match_twin_and_finite_differences() {
    use crate::reference::penalty as twin;
    use gpugan::autograd::ops;
    use gpugan::gpu::kernels::penalty::{penalty_backward_into, penalty_forward_into};
    use gpugan::gpu::kernels::reduce::sum_squares_rows;

    let mut rng = Rng::new(44);
    // Ragged batches and rows; a row of 784 (MNIST) at batch 64.
    for (rows, row_len) in [(1, 7), (3, 1), (17, 65), (64, 784)] {
        let g = rng.vec(rows * row_len);
        let g64: Vec<f64> = g.iter().map(|&v| f64::from(v)).collect();
        let (lambda, eps) = (f64::from(LAMBDA), f64::from(NORM_EPS));
        let gt = upload(&g, &[rows, row_len]);
        let sq = sum_squares_rows(gpu(), &gt).unwrap();

        let out = crate::common::poisoned(&[1]);
        penalty_forward_into(gpu(), &gt, &sq, LAMBDA, NORM_EPS, &out).unwrap();
        let want = twin::penalty(&g64, row_len, lambda, eps);
        let case = format!("penalty {rows}×{row_len}");
        assert_close(&case, &read(&out), &[want], 1e-5);

        let up = rng.vec(1);
        let dg = crate::common::poisoned(&[rows, row_len]);
        let up_t = upload(&up, &[1]);
        penalty_backward_into(gpu(), &gt, &sq, &up_t, LAMBDA, NORM_EPS, &dg).unwrap();
        let want_dg = twin::penalty_grad(&g64, row_len, lambda, eps, f64::from(up[0]));
        assert_close(&format!("{case} backward"), &read(&dg), &want_dg, 1e-5);

        // The op through autograd gives the same gradient (upstream 1).
        let gv = Var::input(gpu(), gt.clone());
        let p = ops::penalty(&gv, LAMBDA, NORM_EPS).unwrap();
        assert_close(&format!("{case} op"), &read(p.value()), &[want], 1e-5);
        let dg_op = grad(&p, &[&gv], false).unwrap().remove(0);
        let want_op = twin::penalty_grad(&g64, row_len, lambda, eps, 1.0);
        assert_close(
            &format!("{case} op backward"),
            &read(dg_op.value()),
            &want_op,
            1e-5,
        );

        // The twin's gradient against central differences of its penalty.
        let h = 1e-6;
        for idx in (0..g64.len()).step_by(1 + g64.len() / 16) {
            let mut x = g64.clone();
            x[idx] += h;
            let plus = twin::penalty(&x, row_len, lambda, eps);
            x[idx] -= 2.0 * h;
            let minus = twin::penalty(&x, row_len, lambda, eps);
            let numeric = (plus - minus) / (2.0 * h);
            let analytic = want_op[idx];
            assert!(
                (numeric - analytic).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "{case}[{idx}]: analytic {analytic}, finite difference {numeric}"
            );
        }
    }
}
