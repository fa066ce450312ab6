//! Twins of `binary_forward`, `unary_forward`, `unary_backward`.

use gpugan::gpu::kernels::elementwise::{Binary, Unary, UnaryGrad};

pub fn binary(op: Binary, x: &[f32], y: &[f32]) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| {
            let (a, b) = (f64::from(a), f64::from(b));
            match op {
                Binary::Add => a + b,
                Binary::Sub => a - b,
                Binary::Mul => a * b,
                Binary::Div => a / b,
                Binary::Axpy(alpha) => f64::from(alpha) * a + b,
            }
        })
        .collect()
}

pub fn unary_f64(op: Unary, v: f64) -> f64 {
    match op {
        Unary::Scale(alpha) => f64::from(alpha) * v,
        Unary::Relu => v.max(0.0),
        Unary::LeakyRelu(s) => {
            if v > 0.0 {
                v
            } else {
                f64::from(s) * v
            }
        }
        Unary::Tanh => v.tanh(),
        Unary::Sigmoid => 1.0 / (1.0 + (-v).exp()),
        Unary::Square => v * v,
        Unary::Sqrt => v.sqrt(),
        Unary::Shift(b) => v + f64::from(b),
        Unary::Softplus => v.max(0.0) + (-v.abs()).exp().ln_1p(),
    }
}

pub fn unary(op: Unary, x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| unary_f64(op, f64::from(v))).collect()
}

/// `x` is the forward input for relu / leaky relu, the forward output for
/// tanh / sigmoid, as in the kernel.
pub fn unary_grad(op: UnaryGrad, x: &[f32], g: &[f32]) -> Vec<f64> {
    x.iter()
        .zip(g)
        .map(|(&v, &g)| {
            let (v, g) = (f64::from(v), f64::from(g));
            match op {
                UnaryGrad::Relu => {
                    if v > 0.0 {
                        g
                    } else {
                        0.0
                    }
                }
                UnaryGrad::LeakyRelu(s) => {
                    if v > 0.0 {
                        g
                    } else {
                        f64::from(s) * g
                    }
                }
                UnaryGrad::Tanh => g * (1.0 - v * v),
                UnaryGrad::Sigmoid => g * v * (1.0 - v),
            }
        })
        .collect()
}
