//! BatchNorm2d and LayerNorm against their twins; gradients against central
//! finite differences of the twins.

use gpugan::autograd::{Var, grad, ops};
use gpugan::gpu::kernels::matmul::Activation;
use gpugan::nn::{BatchNorm2d, LayerNorm};

use crate::common::{Rng, assert_close, gpu, poisoned, read, upload};
use crate::reference::matmul::activate;
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

/// The gradients of Σ w ⊙ y with respect to x, γ and β (`vars`) against
/// central differences of y's twin `f` at `inputs`.
fn check_gradients(
    label: &str,
    y: &Var,
    vars: [&Var; 3],
    (inputs, w, shape): (&[Vec<f64>], &[f32], &[usize]),
    f: &dyn Fn(&[Vec<f64>]) -> Vec<f64>,
) {
    let weights = Var::constant(gpu(), upload(w, shape));
    let loss = ops::sum_all(&ops::mul(y, &weights).unwrap()).unwrap();
    let grads = grad(&loss, &vars, false).unwrap();
    let numeric = finite_difference_grads(inputs, &to_f64(w), f);
    for (k, name) in ["x", "weight", "bias"].iter().enumerate() {
        assert_close(
            &format!("{label} ∂/∂{name}"),
            &read(grads[k].value()),
            &numeric[k],
            NORM_GRAD_TOL,
        );
    }
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
            let inputs = [to_f64(&x), to_f64(&gamma), to_f64(&beta)];
            let f = |v: &[Vec<f64>]| twin::batch_norm2d(&v[0], shape, &v[1], &v[2], 1e-5).0;
            let label = format!("batch_norm2d {shape:?}");
            let vars = [&xv, &bn.weight, &bn.bias];
            check_gradients(&label, &y, vars, (&inputs, &w, &shape), &f);
        }
    }
}

#[test]
fn batch_norm2d_with_activation_forward_and_gradients() {
    // The activation rides in the normalising pass and is differentiated
    // from the output (ReLU's and leaky ReLU's sign, tanh's value).
    let mut rng = Rng::new(133);
    let shape = [3, 4, 3, 2];
    let c = shape[1];
    let n: usize = shape.iter().product();
    // A leaky ReLU of negative slope cannot be told from its output: it
    // runs as an op of its own after the batch norm.
    for act in [
        Activation::Relu,
        Activation::LeakyRelu(0.2),
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::LeakyRelu(-0.1),
    ] {
        let (x, gamma, beta, w) = (rng.vec(n), rng.vec(c), rng.vec(c), rng.vec(n));
        let bn = BatchNorm2d::new(gpu(), c).unwrap();
        let (gv, bv) = (
            Var::parameter(gpu(), upload(&gamma, &[c])),
            Var::parameter(gpu(), upload(&beta, &[c])),
        );
        let xv = Var::input(gpu(), upload(&x, &shape));
        let y = bn.forward_act_with(&xv, true, (&gv, &bv), act).unwrap();
        let f = |v: &[Vec<f64>]| -> Vec<f64> {
            let (y, _, _) = twin::batch_norm2d(&v[0], shape, &v[1], &v[2], 1e-5);
            y.iter().map(|&y| activate(y, act)).collect()
        };
        let inputs = [to_f64(&x), to_f64(&gamma), to_f64(&beta)];
        assert_close(
            &format!("{act:?}(batch_norm2d)"),
            &read(y.value()),
            &f(&inputs),
            NORM_TOL,
        );
        let label = format!("{act:?}(batch_norm2d)");
        check_gradients(&label, &y, [&xv, &gv, &bv], (&inputs, &w, &shape), &f);
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
    // With an activation, eval applies it after the same ops.
    let act = Activation::LeakyRelu(0.2);
    let xv = Var::constant(gpu(), upload(&x, &shape));
    let y = bn
        .forward_act_with(&xv, false, (&bn.weight, &bn.bias), act)
        .unwrap();
    let want: Vec<f64> = want.iter().map(|&v| activate(v, act)).collect();
    assert_close(
        "leaky_relu(batch_norm2d eval)",
        &read(y.value()),
        &want,
        NORM_TOL,
    );
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

        let inputs = [to_f64(&x), to_f64(&gamma), to_f64(&beta)];
        let batch = shape[0];
        let f = |v: &[Vec<f64>]| twin::layer_norm(&v[0], batch, &v[1], &v[2], 1e-5);
        let label = format!("layer_norm {shape:?}");
        let vars = [&xv, &ln.weight, &ln.bias];
        check_gradients(&label, &y, vars, (&inputs, &w, &shape), &f);
    }
}

#[test]
fn batch_norm_kernels_match_twin() {
    use gpugan::gpu::kernels::norm::{
        BatchStats, batch_norm_apply_into, batch_norm_grad_input_into, batch_norm_grad_params_into,
        batch_norm_stats_into,
    };
    let mut rng = Rng::new(132);
    let eps = 1e-5;
    // Ragged shapes: one sample, one pixel, odd planes, 65, 100 and 257
    // channels (per-channel workgroups of 16, 32 and 64, the last one
    // partly past the channels); planes of multiples of 4 (the vec4
    // entries; 70 channels with a partial last workgroup; 24-value planes
    // whose 16-value apply invocations cross planes and samples); planes of 6 and
    // 49 in tensors of a multiple of 4 values (the apply's quads, some
    // across a plane's end and one from the last channel into the next
    // sample).
    for shape in [
        [3, 5, 7, 1],
        [1, 3, 3, 3],
        [17, 2, 1, 1],
        [2, 65, 3, 3],
        [1, 100, 2, 3],
        [3, 257, 2, 1],
        [3, 5, 2, 2],
        [2, 7, 4, 6],
        [3, 70, 2, 4],
        [4, 3, 7, 7],
    ] {
        let c = shape[1];
        let n: usize = shape.iter().product();
        let (x, gamma, beta, dy) = (rng.vec(n), rng.vec(c), rng.vec(c), rng.vec(n));
        let (x64, g64, b64, dy64) = (to_f64(&x), to_f64(&gamma), to_f64(&beta), to_f64(&dy));
        let (want_y, mean, var) = twin::batch_norm2d(&x64, shape, &g64, &b64, eps);
        let xt = upload(&x, &shape);
        let running = (upload(&rng.vec(c), &[c]), upload(&rng.vec(c), &[c]));
        let (rm0, rv0) = (to_f64(&read(&running.0)), to_f64(&read(&running.1)));
        let stats = BatchStats {
            mean: poisoned(&[c]),
            invstd: poisoned(&[c]),
        };
        batch_norm_stats_into(
            gpu(),
            &xt,
            (&running.0, &running.1),
            0.1,
            eps as f32,
            &stats,
        )
        .unwrap();
        let case = format!("batch_norm {shape:?}");
        assert_close(&format!("{case} mean"), &read(&stats.mean), &mean, NORM_TOL);
        let invstd: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        assert_close(
            &format!("{case} invstd"),
            &read(&stats.invstd),
            &invstd,
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
        let want_rm: Vec<f64> = rm0
            .iter()
            .zip(&mean)
            .map(|(r, m)| 0.9 * r + 0.1 * m)
            .collect();
        let want_rv: Vec<f64> = rv0
            .iter()
            .zip(&var)
            .map(|(r, &v)| 0.9 * r + 0.1 * unbiased(v))
            .collect();
        assert_close(
            &format!("{case} running mean"),
            &read(&running.0),
            &want_rm,
            NORM_TOL,
        );
        assert_close(
            &format!("{case} running var"),
            &read(&running.1),
            &want_rv,
            NORM_TOL,
        );

        let (gt, bt, dyt) = (
            upload(&gamma, &[c]),
            upload(&beta, &[c]),
            upload(&dy, &shape),
        );
        // The normalising pass applies the layer's activation.
        for act in [
            Activation::None,
            Activation::Relu,
            Activation::LeakyRelu(0.2),
            Activation::Tanh,
            Activation::Sigmoid,
        ] {
            let y = poisoned(&shape);
            batch_norm_apply_into(gpu(), &xt, &stats, (&gt, &bt), act, &y).unwrap();
            let want: Vec<f64> = want_y.iter().map(|&v| activate(v, act)).collect();
            assert_close(&format!("{case} {act:?}(y)"), &read(&y), &want, NORM_TOL);
        }

        let (want_dx, want_dg, want_db) =
            twin::batch_norm2d_backward(&x64, shape, &g64, &dy64, eps);
        let (db, dg, dx) = (poisoned(&[c]), poisoned(&[c]), poisoned(&shape));
        batch_norm_grad_params_into(gpu(), &xt, &stats, &dyt, &db, &dg).unwrap();
        batch_norm_grad_input_into(gpu(), &xt, &stats, &gt, &dyt, (&db, &dg), &dx).unwrap();
        assert_close(&format!("{case} dβ"), &read(&db), &want_db, NORM_TOL);
        assert_close(&format!("{case} dγ"), &read(&dg), &want_dg, NORM_TOL);
        assert_close(&format!("{case} dx"), &read(&dx), &want_dx, NORM_TOL);

        // The twin's backward against central differences of its forward.
        if n / c > 1 {
            let f = |v: &[Vec<f64>]| twin::batch_norm2d(&v[0], shape, &v[1], &v[2], eps).0;
            let numeric =
                finite_difference_grads(&[x64.clone(), g64.clone(), b64.clone()], &dy64, &f);
            for (k, want) in [&want_dx, &want_dg, &want_db].iter().enumerate() {
                for (a, b) in want.iter().zip(&numeric[k]) {
                    assert!(
                        (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                        "{case} twin input {k}: {a} vs {b}"
                    );
                }
            }
        }
    }
}
