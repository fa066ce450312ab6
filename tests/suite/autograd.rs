//! Gradcheck of every autograd op: for L = Σ W ⊙ op(inputs) with random W,
//! the GPU gradient matches the CPU twin's analytic gradient, and the twin's
//! gradient matches central finite differences of the twin's forward (f64).

use gpugan::Result;
use gpugan::autograd::ops;
use gpugan::autograd::{Var, grad};
use gpugan::gpu::kernels::matmul::Activation;

use crate::common::{Rng, assert_close, gpu, read, upload};

type Forward = Box<dyn Fn(&[Vec<f64>]) -> Vec<f64>>;
type Vjp = Box<dyn Fn(&[Vec<f64>], &[f64]) -> Vec<Vec<f64>>>;
type GpuOp = Box<dyn Fn(&[Var]) -> Result<Var>>;

/// One op: GPU builder, CPU forward, CPU analytic vector–Jacobian product.
struct Case {
    name: String,
    shapes: Vec<Vec<usize>>,
    /// Inputs drawn from [0.05, 1] instead of ±[0.05, 1] (sqrt, divisors).
    positive: bool,
    gpu: GpuOp,
    forward: Forward,
    vjp: Vjp,
}

/// f32 GPU gradients against the f64 analytic ones.
const GRAD_TOL: f64 = 2e-5;
/// The analytic gradient against central differences with h = 1e-6.
const FD_TOL: f64 = 1e-6;

fn check(case: &Case, rng: &mut Rng) {
    let inputs: Vec<Vec<f32>> = case
        .shapes
        .iter()
        .map(|s| {
            let v = rng.vec(s.iter().product());
            if case.positive {
                v.iter().map(|x| x.abs()).collect()
            } else {
                v
            }
        })
        .collect();
    let as_f64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let x64: Vec<Vec<f64>> = inputs.iter().map(|v| as_f64(v)).collect();
    let out = (case.forward)(&x64);
    let w = rng.vec(out.len());
    let w64 = as_f64(&w);

    // GPU: L = Σ W ⊙ op(x).
    let vars: Vec<Var> = inputs
        .iter()
        .zip(&case.shapes)
        .map(|(v, s)| Var::input(gpu(), upload(v, s)))
        .collect();
    let y = (case.gpu)(&vars).unwrap();
    assert_close(
        &format!("{} forward", case.name),
        &read(y.value()),
        &out,
        GRAD_TOL,
    );
    let w_var = Var::constant(gpu(), upload(&w, y.shape()));
    let loss = ops::sum_all(&ops::mul(&y, &w_var).unwrap()).unwrap();
    let grads = grad(&loss, &vars.iter().collect::<Vec<_>>(), false).unwrap();

    let want = (case.vjp)(&x64, &w64);
    for (i, (g, want_i)) in grads.iter().zip(&want).enumerate() {
        assert_close(
            &format!("{} ∂/∂input{i}", case.name),
            &read(g.value()),
            want_i,
            GRAD_TOL,
        );
    }

    // The twin's analytic gradient against finite differences of its forward.
    let objective = |x: &[Vec<f64>]| {
        (case.forward)(x)
            .iter()
            .zip(&w64)
            .map(|(a, b)| a * b)
            .sum::<f64>()
    };
    let h = 1e-6;
    for (i, want_i) in want.iter().enumerate() {
        for idx in (0..want_i.len()).step_by(1 + want_i.len() / 16) {
            let mut x = x64.clone();
            x[i][idx] += h;
            let plus = objective(&x);
            x[i][idx] -= 2.0 * h;
            let minus = objective(&x);
            let numeric = (plus - minus) / (2.0 * h);
            assert!(
                (numeric - want_i[idx]).abs() <= FD_TOL * (1.0 + numeric.abs()),
                "{} input {i}[{idx}]: analytic {}, finite difference {numeric}",
                case.name,
                want_i[idx]
            );
        }
    }
}

fn case(
    name: &str,
    shapes: &[&[usize]],
    positive: bool,
    gpu: GpuOp,
    forward: Forward,
    vjp: Vjp,
) -> Case {
    Case {
        name: name.to_string(),
        shapes: shapes.iter().map(|s| s.to_vec()).collect(),
        positive,
        gpu,
        forward,
        vjp,
    }
}

/// An elementwise op of one input with derivative `df`.
fn unary_case(
    name: &str,
    positive: bool,
    gpu: fn(&Var) -> Result<Var>,
    f: fn(f64) -> f64,
    df: fn(f64) -> f64,
) -> Case {
    case(
        name,
        &[&[3, 17]],
        positive,
        Box::new(move |v| gpu(&v[0])),
        Box::new(move |x| x[0].iter().map(|&v| f(v)).collect()),
        Box::new(move |x, w| vec![x[0].iter().zip(w).map(|(&v, &wi)| wi * df(v)).collect()]),
    )
}

/// An elementwise op of two inputs with partial derivatives `da`, `db`.
fn binary_case(
    name: &str,
    positive: bool,
    gpu: fn(&Var, &Var) -> Result<Var>,
    f: fn(f64, f64) -> f64,
    da: fn(f64, f64) -> f64,
    db: fn(f64, f64) -> f64,
) -> Case {
    case(
        name,
        &[&[17, 3], &[17, 3]],
        positive,
        Box::new(move |v| gpu(&v[0], &v[1])),
        Box::new(move |x| x[0].iter().zip(&x[1]).map(|(&a, &b)| f(a, b)).collect()),
        Box::new(move |x, w| {
            let pairs = || x[0].iter().zip(&x[1]).zip(w);
            vec![
                pairs().map(|((&a, &b), &wi)| wi * da(a, b)).collect(),
                pairs().map(|((&a, &b), &wi)| wi * db(a, b)).collect(),
            ]
        }),
    )
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

fn leaky(v: f64) -> f64 {
    if v > 0.0 { 1.0 } else { 0.2 }
}

fn elementwise_cases() -> Vec<Case> {
    vec![
        binary_case("add", false, ops::add, |a, b| a + b, |_, _| 1.0, |_, _| 1.0),
        binary_case(
            "sub",
            false,
            ops::sub,
            |a, b| a - b,
            |_, _| 1.0,
            |_, _| -1.0,
        ),
        binary_case("mul", false, ops::mul, |a, b| a * b, |_, b| b, |a, _| a),
        binary_case(
            "div",
            true,
            ops::div,
            |a, b| a / b,
            |_, b| 1.0 / b,
            |a, b| -a / (b * b),
        ),
        unary_case(
            "scale",
            false,
            |v| ops::scale(v, -1.5),
            |v| -1.5 * v,
            |_| -1.5,
        ),
        unary_case("shift", false, |v| ops::shift(v, 0.7), |v| v + 0.7, |_| 1.0),
        unary_case("square", false, ops::square, |v| v * v, |v| 2.0 * v),
        unary_case("sqrt", true, ops::sqrt, f64::sqrt, |v| 0.5 / v.sqrt()),
        unary_case(
            "softplus",
            false,
            ops::softplus,
            |v| v.exp().ln_1p(),
            sigmoid,
        ),
        unary_case(
            "relu",
            false,
            ops::relu,
            |v| v.max(0.0),
            |v| if v > 0.0 { 1.0 } else { 0.0 },
        ),
        unary_case(
            "leaky_relu",
            false,
            |v| ops::leaky_relu(v, 0.2),
            |v| v * leaky(v),
            leaky,
        ),
        unary_case("tanh", false, ops::tanh, f64::tanh, |v| {
            1.0 - v.tanh().powi(2)
        }),
        unary_case("sigmoid", false, ops::sigmoid, sigmoid, |v| {
            sigmoid(v) * (1.0 - sigmoid(v))
        }),
        // The activation gradients as ops of (saved, g): what double backward differentiates.
        binary_case(
            "relu_grad",
            false,
            ops::relu_grad,
            |x, g| if x > 0.0 { g } else { 0.0 },
            |_, _| 0.0,
            |x, _| {
                if x > 0.0 { 1.0 } else { 0.0 }
            },
        ),
        binary_case(
            "leaky_relu_grad",
            false,
            |x, g| ops::leaky_relu_grad(x, g, 0.2),
            |x, g| g * leaky(x),
            |_, _| 0.0,
            |x, _| leaky(x),
        ),
        binary_case(
            "tanh_grad",
            false,
            ops::tanh_grad,
            |y, g| g * (1.0 - y * y),
            |y, g| -2.0 * y * g,
            |y, _| 1.0 - y * y,
        ),
        binary_case(
            "sigmoid_grad",
            false,
            ops::sigmoid_grad,
            |y, g| g * y * (1.0 - y),
            |y, g| g * (1.0 - 2.0 * y),
            |y, _| y * (1.0 - y),
        ),
    ]
}

/// op(A)·op(B) in f64 with the same storage conventions as the kernel.
fn matmul64(
    a: &[f64],
    b: &[f64],
    (m, n, k): (usize, usize, usize),
    ta: bool,
    tb: bool,
) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k)
                .map(|kk| {
                    let av = if ta { a[kk * m + i] } else { a[i * k + kk] };
                    let bv = if tb { b[j * k + kk] } else { b[kk * n + j] };
                    av * bv
                })
                .sum();
        }
    }
    c
}

fn matmul_case(ta: bool, tb: bool) -> Case {
    let (m, n, k) = (5, 3, 7);
    let a_shape: &[usize] = if ta { &[k, m] } else { &[m, k] };
    let b_shape: &[usize] = if tb { &[n, k] } else { &[k, n] };
    case(
        &format!("matmul ta={ta} tb={tb}"),
        &[a_shape, b_shape],
        false,
        Box::new(move |v| ops::matmul(&v[0], &v[1], ta, tb)),
        Box::new(move |x| matmul64(&x[0], &x[1], (m, n, k), ta, tb)),
        Box::new(move |x, w| {
            // dop(A)[i, kk] = Σ_j W[i, j]·op(B)[kk, j]; dop(B)[kk, j] = Σ_i op(A)[i, kk]·W[i, j].
            let mut da = vec![0.0; m * k];
            let mut db = vec![0.0; k * n];
            for i in 0..m {
                for j in 0..n {
                    for kk in 0..k {
                        let a_idx = if ta { kk * m + i } else { i * k + kk };
                        let b_idx = if tb { j * k + kk } else { kk * n + j };
                        da[a_idx] += w[i * n + j] * x[1][b_idx];
                        db[b_idx] += x[0][a_idx] * w[i * n + j];
                    }
                }
            }
            vec![da, db]
        }),
    )
}

fn reduction_and_broadcast_cases() -> Vec<Case> {
    let (r, c) = (4, 5);
    vec![
        case(
            "sum_all",
            &[&[r, c]],
            false,
            Box::new(|v| ops::sum_all(&v[0])),
            Box::new(|x| vec![x[0].iter().sum()]),
            Box::new(|x, w| vec![vec![w[0]; x[0].len()]]),
        ),
        case(
            "mean_all",
            &[&[r, c]],
            false,
            Box::new(|v| ops::mean_all(&v[0])),
            Box::new(|x| vec![x[0].iter().sum::<f64>() / x[0].len() as f64]),
            Box::new(|x, w| vec![vec![w[0] / x[0].len() as f64; x[0].len()]]),
        ),
        case(
            "sum_squares_rows",
            &[&[r, 2, 3]],
            false,
            Box::new(|v| ops::sum_squares_rows(&v[0])),
            Box::new(|x| {
                x[0].chunks(6)
                    .map(|row| row.iter().map(|v| v * v).sum())
                    .collect()
            }),
            Box::new(|x, w| {
                vec![
                    x[0].iter()
                        .enumerate()
                        .map(|(i, &v)| 2.0 * v * w[i / 6])
                        .collect(),
                ]
            }),
        ),
        case(
            "tile_rows",
            &[&[c]],
            false,
            Box::new(move |v| ops::tile_rows(&v[0], r)),
            Box::new(move |x| (0..r * c).map(|i| x[0][i % c]).collect()),
            Box::new(move |_, w| {
                vec![(0..c).map(|j| (0..r).map(|i| w[i * c + j]).sum()).collect()]
            }),
        ),
        case(
            "sum_rows",
            &[&[r, c]],
            false,
            Box::new(|v| ops::sum_rows(&v[0])),
            Box::new(move |x| {
                (0..c)
                    .map(|j| (0..r).map(|i| x[0][i * c + j]).sum())
                    .collect()
            }),
            Box::new(move |_, w| vec![(0..r * c).map(|i| w[i % c]).collect()]),
        ),
        case(
            "repeat_cols",
            &[&[r]],
            false,
            Box::new(move |v| ops::repeat_cols(&v[0], &[r, c])),
            Box::new(move |x| (0..r * c).map(|i| x[0][i / c]).collect()),
            Box::new(move |_, w| {
                vec![(0..r).map(|i| w[i * c..(i + 1) * c].iter().sum()).collect()]
            }),
        ),
        case(
            "sum_cols",
            &[&[r, c]],
            false,
            Box::new(|v| ops::sum_cols(&v[0])),
            Box::new(move |x| x[0].chunks(c).map(|row| row.iter().sum()).collect()),
            Box::new(move |_, w| vec![(0..r * c).map(|i| w[i / c]).collect()]),
        ),
        case(
            "broadcast_scalar",
            &[&[1]],
            false,
            Box::new(move |v| ops::broadcast_scalar(&v[0], &[r, c])),
            Box::new(move |x| vec![x[0][0]; r * c]),
            Box::new(|_, w| vec![vec![w.iter().sum()]]),
        ),
        case(
            "reshape",
            &[&[r, c]],
            false,
            Box::new(move |v| ops::reshape(&v[0], &[c, r])),
            Box::new(|x| x[0].clone()),
            Box::new(|_, w| vec![w.to_vec()]),
        ),
        case(
            "add_bias",
            &[&[r, c], &[c]],
            false,
            Box::new(|v| ops::add_bias(&v[0], &v[1])),
            Box::new(move |x| (0..r * c).map(|i| x[0][i] + x[1][i % c]).collect()),
            Box::new(move |_, w| {
                vec![
                    w.to_vec(),
                    (0..c).map(|j| (0..r).map(|i| w[i * c + j]).sum()).collect(),
                ]
            }),
        ),
        case(
            "mul_rows",
            &[&[r, c], &[r]],
            false,
            Box::new(|v| ops::mul_rows(&v[0], &v[1])),
            Box::new(move |x| (0..r * c).map(|i| x[0][i] * x[1][i / c]).collect()),
            Box::new(move |x, w| {
                vec![
                    (0..r * c).map(|i| w[i] * x[1][i / c]).collect(),
                    (0..r)
                        .map(|i| (0..c).map(|j| w[i * c + j] * x[0][i * c + j]).sum())
                        .collect(),
                ]
            }),
        ),
    ]
}

fn conv_cases() -> Vec<Case> {
    use crate::reference::conv as twin;
    use gpugan::gpu::kernels::conv::{Conv2dSpec, conv2d_shape};
    let spec = Conv2dSpec {
        stride: 2,
        padding: 1,
    };
    let (xs, ws) = ([2, 3, 5, 4], [4, 3, 3, 3]);
    let s = conv2d_shape(&xs, &ws, spec).unwrap();
    let ys = s.output();
    let (st, pd) = (spec.stride, spec.padding);
    // The transposed conv of ys-shaped input: the conv whose input gradient
    // it is has a 5×3 input (not 5×4: stride 2 loses the last column).
    let st_t = gpugan::gpu::kernels::conv::conv_transpose2d_shape(&ys, &ws, spec).unwrap();
    assert_eq!(st_t.output(), ys);
    vec![
        case(
            "conv2d",
            &[&xs, &ws],
            false,
            Box::new(move |v| ops::conv2d(&v[0], &v[1], spec)),
            Box::new(move |x| twin::conv2d(&x[0], &x[1], None, &s, st, pd)),
            Box::new(move |x, w| {
                vec![
                    twin::conv2d_backward_input(w, &x[1], None, &s, st, pd),
                    twin::conv2d_backward_weight(&x[0], w, &s, st, pd),
                ]
            }),
        ),
        // The gradient ops, as double backward differentiates them.
        case(
            "conv2d_input_grad",
            &[&ys, &ws],
            false,
            Box::new(move |v| ops::conv2d_input_grad(&v[0], &v[1], spec, &xs)),
            Box::new(move |x| twin::conv2d_backward_input(&x[0], &x[1], None, &s, st, pd)),
            Box::new(move |x, w| {
                vec![
                    twin::conv2d(w, &x[1], None, &s, st, pd),
                    twin::conv2d_backward_weight(w, &x[0], &s, st, pd),
                ]
            }),
        ),
        case(
            "conv2d_weight_grad",
            &[&xs, &ys],
            false,
            Box::new(move |v| ops::conv2d_weight_grad(&v[0], &v[1], spec, &ws)),
            Box::new(move |x| twin::conv2d_backward_weight(&x[0], &x[1], &s, st, pd)),
            Box::new(move |x, w| {
                vec![
                    twin::conv2d_backward_input(&x[1], w, None, &s, st, pd),
                    twin::conv2d(&x[0], w, None, &s, st, pd),
                ]
            }),
        ),
        case(
            "conv2d_bias",
            &[&xs, &ws, &[4]],
            false,
            Box::new(move |v| ops::conv2d_bias(&v[0], &v[1], &v[2], spec)),
            Box::new(move |x| twin::conv2d(&x[0], &x[1], Some(&x[2]), &s, st, pd)),
            Box::new(move |x, w| {
                let plane = s.oh * s.ow;
                let mut db = vec![0.0; 4];
                w.iter()
                    .enumerate()
                    .for_each(|(i, g)| db[(i / plane) % 4] += g);
                vec![
                    twin::conv2d_backward_input(w, &x[1], None, &s, st, pd),
                    twin::conv2d_backward_weight(&x[0], w, &s, st, pd),
                    db,
                ]
            }),
        ),
        case(
            "conv_transpose2d_bias",
            &[&ys, &ws, &[3]],
            false,
            Box::new(move |v| ops::conv_transpose2d_bias(&v[0], &v[1], &v[2], spec)),
            Box::new(move |x| {
                twin::conv2d_backward_input(&x[0], &x[1], Some(&x[2]), &st_t, st, pd)
            }),
            Box::new(move |x, w| {
                let plane = st_t.h * st_t.w;
                let mut db = vec![0.0; 3];
                w.iter()
                    .enumerate()
                    .for_each(|(i, g)| db[(i / plane) % 3] += g);
                vec![
                    twin::conv2d(w, &x[1], None, &st_t, st, pd),
                    twin::conv2d_backward_weight(w, &x[0], &st_t, st, pd),
                    db,
                ]
            }),
        ),
        case(
            "add_channel_bias",
            &[&xs, &[3]],
            false,
            Box::new(|v| ops::add_channel_bias(&v[0], &v[1])),
            Box::new(|x| {
                x[0].iter()
                    .enumerate()
                    .map(|(i, v)| v + x[1][(i / 20) % 3])
                    .collect()
            }),
            Box::new(|_, w| {
                let mut db = vec![0.0; 3];
                w.iter()
                    .enumerate()
                    .for_each(|(i, g)| db[(i / 20) % 3] += g);
                vec![w.to_vec(), db]
            }),
        ),
    ]
}

#[test]
fn conv_op_gradients() {
    let mut rng = Rng::new(84);
    for case in conv_cases() {
        check(&case, &mut rng);
    }
}

#[test]
fn elementwise_op_gradients() {
    let mut rng = Rng::new(80);
    for case in elementwise_cases() {
        check(&case, &mut rng);
    }
}

#[test]
fn matmul_gradients_every_transpose() {
    let mut rng = Rng::new(81);
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        check(&matmul_case(ta, tb), &mut rng);
    }
}

/// x [5, 7] · W[3, 7]ᵀ + b[3]: the fused Linear op.
fn linear_case() -> Case {
    let (m, n, k) = (5, 3, 7);
    case(
        "linear",
        &[&[m, k], &[n, k], &[n]],
        false,
        Box::new(|v| ops::linear(&v[0], &v[1], &v[2])),
        Box::new(move |x| {
            let mut y = matmul64(&x[0], &x[1], (m, n, k), false, true);
            y.iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v += x[2][i % n]);
            y
        }),
        Box::new(move |x, w| {
            let mut grads = vec![vec![0.0; m * k], vec![0.0; n * k], vec![0.0; n]];
            for i in 0..m {
                for j in 0..n {
                    grads[2][j] += w[i * n + j];
                    for kk in 0..k {
                        grads[0][i * k + kk] += w[i * n + j] * x[1][j * k + kk];
                        grads[1][j * k + kk] += x[0][i * k + kk] * w[i * n + j];
                    }
                }
            }
            grads
        }),
    )
}

#[test]
fn linear_gradients() {
    check(&linear_case(), &mut Rng::new(84));
}

/// An epilogue activation with its f64 value and derivative in z.
type Epilogue = (Activation, fn(f64) -> f64, fn(f64) -> f64);

/// The epilogue activations.
fn epilogues() -> Vec<Epilogue> {
    vec![
        (
            Activation::Relu,
            |z| z.max(0.0),
            |z| if z > 0.0 { 1.0 } else { 0.0 },
        ),
        (
            Activation::LeakyRelu(0.2),
            |z| if z > 0.0 { z } else { 0.2 * z },
            |z| if z > 0.0 { 1.0 } else { 0.2 },
        ),
        (Activation::Tanh, f64::tanh, |z| 1.0 - z.tanh().powi(2)),
        (
            Activation::Sigmoid,
            |z| 1.0 / (1.0 + (-z).exp()),
            |z| {
                let s = 1.0 / (1.0 + (-z).exp());
                s * (1.0 - s)
            },
        ),
    ]
}

/// `base` (a layer z = f(x)) followed by `act` in its epilogue: forward
/// act(f(x)), gradient the base VJP of w ⊙ act'(z), and the GPU op `fused`.
fn with_epilogue(base: Case, (act, f, df): Epilogue, fused: GpuOp) -> Case {
    let (forward, vjp) = (std::rc::Rc::new(base.forward), base.vjp);
    let forward2 = std::rc::Rc::clone(&forward);
    Case {
        name: format!("{} + {act:?}", base.name),
        shapes: base.shapes,
        positive: false,
        gpu: fused,
        forward: Box::new(move |x| forward(x).into_iter().map(f).collect()),
        vjp: Box::new(move |x, w| {
            let z = forward2(x);
            let w: Vec<f64> = z.iter().zip(w).map(|(&z, &w)| w * df(z)).collect();
            vjp(x, &w)
        }),
    }
}

#[test]
fn fused_activation_gradients() {
    // Linear, conv and transposed conv with each activation in the epilogue, against the
    // twin (forward, gradient) and finite differences.
    let mut rng = Rng::new(85);
    let conv_case = |name: &str| conv_cases().into_iter().find(|c| c.name == name).unwrap();
    let spec = gpugan::gpu::kernels::conv::Conv2dSpec {
        stride: 2,
        padding: 1,
    };
    for epilogue in epilogues() {
        let act = epilogue.0;
        let linear: GpuOp = Box::new(move |v| ops::linear_act(&v[0], &v[1], &v[2], act));
        check(&with_epilogue(linear_case(), epilogue, linear), &mut rng);
        let conv: GpuOp = Box::new(move |v| ops::conv2d_bias_act(&v[0], &v[1], &v[2], spec, act));
        check(
            &with_epilogue(conv_case("conv2d_bias"), epilogue, conv),
            &mut rng,
        );
        let convt: GpuOp =
            Box::new(move |v| ops::conv_transpose2d_bias_act(&v[0], &v[1], &v[2], spec, act));
        check(
            &with_epilogue(conv_case("conv_transpose2d_bias"), epilogue, convt),
            &mut rng,
        );
    }
}

#[test]
fn fused_activation_double_backward_matches_unfused() {
    // The penalty's pattern: ‖∂/∂x Σ w ⊙ layer(x)‖² differentiated again
    // with respect to the weights, through the fused op and through the
    // layer followed by the activation as its own op, for Linear (M = 5:
    // the thin kernel), Linear at M = 16 (a tiled kernel), conv and
    // transposed conv.
    use gpugan::gpu::kernels::conv::Conv2dSpec;
    type Layer = fn(&Var, &Var, &Var, Activation) -> gpugan::Result<Var>;
    let layers: [(&str, [&[usize]; 3], Layer); 4] = [
        ("linear", [&[5, 7], &[3, 7], &[3]], |x, w, b, a| {
            ops::linear_act(x, w, b, a)
        }),
        ("linear 16", [&[16, 12], &[8, 12], &[8]], |x, w, b, a| {
            ops::linear_act(x, w, b, a)
        }),
        (
            "conv",
            [&[2, 3, 5, 4], &[4, 3, 3, 3], &[4]],
            |x, w, b, a| {
                let spec = Conv2dSpec {
                    stride: 2,
                    padding: 1,
                };
                ops::conv2d_bias_act(x, w, b, spec, a)
            },
        ),
        (
            "conv_transpose",
            [&[2, 4, 3, 2], &[4, 3, 3, 3], &[3]],
            |x, w, b, a| {
                let spec = Conv2dSpec {
                    stride: 2,
                    padding: 1,
                };
                ops::conv_transpose2d_bias_act(x, w, b, spec, a)
            },
        ),
    ];
    let mut rng = Rng::new(86);
    for (name, shapes, fused_op) in layers {
        let sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
        let (x, wt, b) = (rng.vec(sizes[0]), rng.vec(sizes[1]), rng.vec(sizes[2]));
        let probe = fused_op(
            &Var::constant(gpu(), upload(&x, shapes[0])),
            &Var::constant(gpu(), upload(&wt, shapes[1])),
            &Var::constant(gpu(), upload(&b, shapes[2])),
            Activation::None,
        )
        .unwrap();
        let (y_shape, w) = (probe.shape().to_vec(), rng.vec(probe.value().len()));
        for (act, _, _) in epilogues() {
            let run = |fused: bool| {
                let xv = Var::input(gpu(), upload(&x, shapes[0]));
                let wv = Var::parameter(gpu(), upload(&wt, shapes[1]));
                let bv = Var::parameter(gpu(), upload(&b, shapes[2]));
                let y = if fused {
                    fused_op(&xv, &wv, &bv, act)
                } else {
                    let z = fused_op(&xv, &wv, &bv, Activation::None).unwrap();
                    match act {
                        Activation::Relu => ops::relu(&z),
                        Activation::LeakyRelu(s) => ops::leaky_relu(&z, s),
                        Activation::Tanh => ops::tanh(&z),
                        Activation::Sigmoid => ops::sigmoid(&z),
                        Activation::None => Ok(z),
                    }
                }
                .unwrap();
                let wc = Var::constant(gpu(), upload(&w, &y_shape));
                let l = ops::sum_all(&ops::mul(&y, &wc).unwrap()).unwrap();
                let gx = grad(&l, &[&xv], true).unwrap().remove(0);
                let penalty = ops::sum_all(&ops::square(&gx).unwrap()).unwrap();
                let g2 = grad(&penalty, &[&wv, &bv], false).unwrap();
                (read(gx.value()), read(g2[0].value()), read(g2[1].value()))
            };
            let (fused, unfused) = (run(true), run(false));
            let as64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
            let case = format!("{name} {act:?}");
            assert_close(&format!("{case} ∂x"), &fused.0, &as64(&unfused.0), GRAD_TOL);
            assert_close(
                &format!("{case} ∂²W"),
                &fused.1,
                &as64(&unfused.1),
                GRAD_TOL,
            );
            assert_close(
                &format!("{case} ∂²b"),
                &fused.2,
                &as64(&unfused.2),
                GRAD_TOL,
            );
        }
    }
}

#[test]
fn reduction_and_broadcast_gradients() {
    let mut rng = Rng::new(82);
    for case in reduction_and_broadcast_cases() {
        check(&case, &mut rng);
    }
}

#[test]
fn second_derivative_of_a_scalar_function() {
    // d²/dx² of tanh(x)·x³ summed, by differentiating the recorded gradient.
    let mut rng = Rng::new(83);
    let x = rng.vec(7);
    let xv = Var::input(gpu(), upload(&x, &[7]));
    let f = ops::sum_all(
        &ops::mul(
            &ops::tanh(&xv).unwrap(),
            &ops::mul(&xv, &ops::square(&xv).unwrap()).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let g = grad(&f, &[&xv], true).unwrap().remove(0);
    let gg = grad(&ops::sum_all(&g).unwrap(), &[&xv], false)
        .unwrap()
        .remove(0);
    let second = |v: f64| {
        let (t, s) = (v.tanh(), 1.0 - v.tanh().powi(2));
        // (tanh·x³)'' = tanh''·x³ + 2·tanh'·3x² + tanh·6x, tanh'' = −2·tanh·(1 − tanh²)
        -2.0 * t * s * v.powi(3) + 6.0 * s * v * v + 6.0 * t * v
    };
    let want: Vec<f64> = x.iter().map(|&v| second(f64::from(v))).collect();
    assert_close("second derivative", &read(gg.value()), &want, GRAD_TOL);
}

#[test]
fn unreachable_inputs_get_zero_gradients_and_non_scalars_are_refused() {
    let a = Var::input(gpu(), upload(&[1.0, 2.0], &[2]));
    let b = Var::input(gpu(), upload(&[3.0, 4.0], &[2]));
    let loss = ops::sum_all(&ops::square(&a).unwrap()).unwrap();
    let grads = grad(&loss, &[&a, &b], false).unwrap();
    assert_eq!(read(grads[0].value()), vec![2.0, 4.0]);
    assert_eq!(read(grads[1].value()), vec![0.0, 0.0]);
    let msg = grad(&ops::square(&a).unwrap(), &[&a], false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("scalar") && msg.contains("[2]"), "{msg}");
}
