//! BatchNorm2d and LayerNorm against their twins; gradients against central
//! finite differences of the twins.

use gpugan::autograd::{Var, grad, ops};
use gpugan::nn::{BatchNorm2d, LayerNorm};

use crate::common::{Rng, assert_close, gpu, read, upload};
use crate::reference::norm as twin;

/// Normalisation divides by a batch statistic: a few f32 roundings more than
/// an elementwise op.
const NORM_TOL: f64 = 1e-5;
/// GPU f32 gradients against f64 central differences (h = 1e-5).
const NORM_GRAD_TOL: f64 = 1e-3;

fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Σ w ⊙ f(x) and its gradient by central differences, for each input.
fn finite_difference_grads(
    inputs: &[Vec<f64>],
    w: &[f64],
    f: &dyn Fn(&[Vec<f64>]) -> Vec<f64>,
) -> Vec<Vec<f64>> {
    let h = 1e-5;
    let objective = |x: &[Vec<f64>]| f(x).iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
    (0..inputs.len())
        .map(|k| {
            (0..inputs[k].len())
                .map(|i| {
                    let mut x = inputs.to_vec();
                    x[k][i] += h;
                    let plus = objective(&x);
                    x[k][i] -= 2.0 * h;
                    (plus - objective(&x)) / (2.0 * h)
                })
                .collect()
        })
        .collect()
}

#[test]
fn batch_norm2d_training_forward_gradients_and_running_stats() {
    let mut rng = Rng::new(130);
    for shape in [[3, 4, 5, 2], [1, 3, 3, 3], [4, 1, 1, 1]] {
        let c = shape[1];
        let n: usize = shape.iter().product();
        let (x, gamma, beta, w) = (rng.vec(n), rng.vec(c), rng.vec(c), rng.vec(n));
        let mut bn = BatchNorm2d::new(gpu(), c).unwrap();
        bn.weight = Var::parameter(gpu(), upload(&gamma, &[c]));
        bn.bias = Var::parameter(gpu(), upload(&beta, &[c]));
        let xv = Var::input(gpu(), upload(&x, &shape));
        let y = bn.forward(&xv, true).unwrap();
        let (want, mean, var) =
            twin::batch_norm2d(&to_f64(&x), shape, &to_f64(&gamma), &to_f64(&beta), 1e-5);
        assert_close(
            &format!("batch_norm2d {shape:?}"),
            &read(y.value()),
            &want,
            NORM_TOL,
        );

        let per_channel = (n / c) as f64;
        let unbiased = |v: f64| {
            if per_channel > 1.0 {
                v * per_channel / (per_channel - 1.0)
            } else {
                v
            }
        };
        let want_rm: Vec<f64> = mean.iter().map(|m| 0.1 * m).collect();
        let want_rv: Vec<f64> = var.iter().map(|&v| 0.9 + 0.1 * unbiased(v)).collect();
        assert_close("running mean", &read(&bn.running_mean), &want_rm, NORM_TOL);
        assert_close("running var", &read(&bn.running_var), &want_rv, NORM_TOL);

        if shape[0] * shape[2] * shape[3] > 1 {
            let loss =
                ops::sum_all(&ops::mul(&y, &Var::constant(gpu(), upload(&w, &shape))).unwrap())
                    .unwrap();
            let grads = grad(&loss, &[&xv, &bn.weight, &bn.bias], false).unwrap();
            let inputs = [to_f64(&x), to_f64(&gamma), to_f64(&beta)];
            let f = |v: &[Vec<f64>]| twin::batch_norm2d(&v[0], shape, &v[1], &v[2], 1e-5).0;
            let numeric = finite_difference_grads(&inputs, &to_f64(&w), &f);
            for (k, name) in ["x", "weight", "bias"].iter().enumerate() {
                assert_close(
                    &format!("batch_norm2d {shape:?} ∂/∂{name}"),
                    &read(grads[k].value()),
                    &numeric[k],
                    NORM_GRAD_TOL,
                );
            }
        }
    }
}

#[test]
fn batch_norm2d_eval_uses_running_statistics() {
    let mut rng = Rng::new(131);
    let shape = [2, 3, 2, 2];
    let x = rng.vec(24);
    let bn = BatchNorm2d::new(gpu(), 3).unwrap();
    let y = bn
        .forward(&Var::constant(gpu(), upload(&x, &shape)), false)
        .unwrap();
    // Fresh running statistics are (0, 1): eval is x / √(1 + eps).
    let want: Vec<f64> = x
        .iter()
        .map(|&v| f64::from(v) / (1.0f64 + 1e-5).sqrt())
        .collect();
    assert_close("batch_norm2d eval", &read(y.value()), &want, NORM_TOL);
}

#[test]
fn layer_norm_forward_and_gradients() {
    let mut rng = Rng::new(132);
    for shape in [vec![3, 4, 2, 2], vec![2, 17], vec![1, 5, 3, 1]] {
        let n: usize = shape.iter().product();
        let d = n / shape[0];
        let (x, gamma, beta, w) = (rng.vec(n), rng.vec(d), rng.vec(d), rng.vec(n));
        let mut ln = LayerNorm::new(gpu(), &shape[1..]).unwrap();
        ln.weight = Var::parameter(gpu(), upload(&gamma, &shape[1..]));
        ln.bias = Var::parameter(gpu(), upload(&beta, &shape[1..]));
        let xv = Var::input(gpu(), upload(&x, &shape));
        let y = ln.forward(&xv).unwrap();
        let want = twin::layer_norm(&to_f64(&x), shape[0], &to_f64(&gamma), &to_f64(&beta), 1e-5);
        assert_close(
            &format!("layer_norm {shape:?}"),
            &read(y.value()),
            &want,
            NORM_TOL,
        );

        let loss = ops::sum_all(&ops::mul(&y, &Var::constant(gpu(), upload(&w, &shape))).unwrap())
            .unwrap();
        let grads = grad(&loss, &[&xv, &ln.weight, &ln.bias], false).unwrap();
        let inputs = [to_f64(&x), to_f64(&gamma), to_f64(&beta)];
        let batch = shape[0];
        let f = |v: &[Vec<f64>]| twin::layer_norm(&v[0], batch, &v[1], &v[2], 1e-5);
        let numeric = finite_difference_grads(&inputs, &to_f64(&w), &f);
        for (k, name) in ["x", "weight", "bias"].iter().enumerate() {
            assert_close(
                &format!("layer_norm {shape:?} ∂/∂{name}"),
                &read(grads[k].value()),
                &numeric[k],
                NORM_GRAD_TOL,
            );
        }
    }
}
