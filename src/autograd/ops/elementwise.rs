//! Elementwise ops and the activation gradients, themselves differentiable.

use super::when;
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::elementwise::{Binary, Unary, UnaryGrad, binary, unary, unary_grad};
use crate::gpu::kernels::matmul::Activation;

fn binary_op(
    name: &'static str,
    op: Binary,
    a: &Var,
    b: &Var,
    backward: super::super::var::BackwardFn,
) -> Result<Var> {
    let value = binary(a.gpu(), op, a.value(), b.value())?;
    Ok(Var::from_op(name, value, &[a, b], backward))
}

fn unary_op(
    name: &'static str,
    op: Unary,
    x: &Var,
    backward: super::super::var::BackwardFn,
) -> Result<Var> {
    let value = unary(x.gpu(), op, x.value())?;
    Ok(Var::from_op(name, value, &[x], backward))
}

pub fn add(a: &Var, b: &Var) -> Result<Var> {
    binary_op(
        "add",
        Binary::Add,
        a,
        b,
        Box::new(|g, _, _, _| Ok(vec![Some(g.clone()), Some(g.clone())])),
    )
}

pub fn sub(a: &Var, b: &Var) -> Result<Var> {
    binary_op(
        "sub",
        Binary::Sub,
        a,
        b,
        Box::new(|g, _, _, needs| Ok(vec![Some(g.clone()), when(needs[1], || scale(g, -1.0))?])),
    )
}

pub fn mul(a: &Var, b: &Var) -> Result<Var> {
    binary_op(
        "mul",
        Binary::Mul,
        a,
        b,
        Box::new(|g, inputs, _, needs| {
            Ok(vec![
                when(needs[0], || mul(g, &inputs[1]))?,
                when(needs[1], || mul(g, &inputs[0]))?,
            ])
        }),
    )
}

/// a / b; d/db = −(a/b)·g/b uses the saved output a/b.
pub fn div(a: &Var, b: &Var) -> Result<Var> {
    binary_op(
        "div",
        Binary::Div,
        a,
        b,
        Box::new(|g, inputs, out, needs| {
            let da = when(needs[0], || div(g, &inputs[1]))?;
            let db = when(needs[1], || scale(&div(&mul(g, out)?, &inputs[1])?, -1.0))?;
            Ok(vec![da, db])
        }),
    )
}

pub fn scale(x: &Var, s: f32) -> Result<Var> {
    unary_op(
        "scale",
        Unary::Scale(s),
        x,
        Box::new(move |g, _, _, _| Ok(vec![Some(scale(g, s)?)])),
    )
}

/// x + c
pub fn shift(x: &Var, c: f32) -> Result<Var> {
    unary_op(
        "shift",
        Unary::Shift(c),
        x,
        Box::new(|g, _, _, _| Ok(vec![Some(g.clone())])),
    )
}

pub fn square(x: &Var) -> Result<Var> {
    unary_op(
        "square",
        Unary::Square,
        x,
        Box::new(|g, inputs, _, _| Ok(vec![Some(mul(g, &scale(&inputs[0], 2.0)?)?)])),
    )
}

/// √x; the gradient g / (2√x) uses the saved output.
pub fn sqrt(x: &Var) -> Result<Var> {
    unary_op(
        "sqrt",
        Unary::Sqrt,
        x,
        Box::new(|g, _, out, _| Ok(vec![Some(div(g, &scale(out, 2.0)?)?)])),
    )
}

/// log(1 + eˣ); its gradient is σ(x).
pub fn softplus(x: &Var) -> Result<Var> {
    unary_op(
        "softplus",
        Unary::Softplus,
        x,
        Box::new(|g, inputs, _, _| Ok(vec![Some(mul(g, &sigmoid(&inputs[0])?)?)])),
    )
}

pub fn relu(x: &Var) -> Result<Var> {
    unary_op(
        "relu",
        Unary::Relu,
        x,
        Box::new(|g, inputs, _, _| Ok(vec![Some(relu_grad(&inputs[0], g)?)])),
    )
}

pub fn leaky_relu(x: &Var, slope: f32) -> Result<Var> {
    unary_op(
        "leaky_relu",
        Unary::LeakyRelu(slope),
        x,
        Box::new(move |g, inputs, _, _| Ok(vec![Some(leaky_relu_grad(&inputs[0], g, slope)?)])),
    )
}

pub fn tanh(x: &Var) -> Result<Var> {
    unary_op(
        "tanh",
        Unary::Tanh,
        x,
        Box::new(|g, _, out, _| Ok(vec![Some(tanh_grad(out, g)?)])),
    )
}

pub fn sigmoid(x: &Var) -> Result<Var> {
    unary_op(
        "sigmoid",
        Unary::Sigmoid,
        x,
        Box::new(|g, _, out, _| Ok(vec![Some(sigmoid_grad(out, g)?)])),
    )
}

fn grad_op(
    name: &'static str,
    op: UnaryGrad,
    saved: &Var,
    g: &Var,
    backward: super::super::var::BackwardFn,
) -> Result<Var> {
    let value = unary_grad(saved.gpu(), op, saved.value(), g.value())?;
    Ok(Var::from_op(name, value, &[saved, g], backward))
}

/// g · 1[x > 0]: linear in g, piecewise constant in x (zero derivative).
pub fn relu_grad(x: &Var, g: &Var) -> Result<Var> {
    grad_op(
        "relu_grad",
        UnaryGrad::Relu,
        x,
        g,
        Box::new(|gg, inputs, _, _| Ok(vec![None, Some(relu_grad(&inputs[0], gg)?)])),
    )
}

/// g · (x > 0 ? 1 : slope): linear in g, piecewise constant in x.
pub fn leaky_relu_grad(x: &Var, g: &Var, slope: f32) -> Result<Var> {
    grad_op(
        "leaky_relu_grad",
        UnaryGrad::LeakyRelu(slope),
        x,
        g,
        Box::new(move |gg, inputs, _, _| {
            Ok(vec![None, Some(leaky_relu_grad(&inputs[0], gg, slope)?)])
        }),
    )
}

/// g · (1 − y²) with y = tanh(x); d/dy = −2·y·g·gg.
pub fn tanh_grad(y: &Var, g: &Var) -> Result<Var> {
    grad_op(
        "tanh_grad",
        UnaryGrad::Tanh,
        y,
        g,
        Box::new(|gg, inputs, _, needs| {
            let (y, g) = (&inputs[0], &inputs[1]);
            let dy = when(needs[0], || mul(&mul(gg, g)?, &scale(y, -2.0)?))?;
            Ok(vec![dy, when(needs[1], || tanh_grad(y, gg))?])
        }),
    )
}

/// g · y(1 − y) with y = σ(x); d/dy = g·gg·(1 − 2y).
pub fn sigmoid_grad(y: &Var, g: &Var) -> Result<Var> {
    grad_op(
        "sigmoid_grad",
        UnaryGrad::Sigmoid,
        y,
        g,
        Box::new(|gg, inputs, _, needs| {
            let (y, g) = (&inputs[0], &inputs[1]);
            let dy = when(needs[0], || {
                mul(&mul(gg, g)?, &shift(&scale(y, -2.0)?, 1.0)?)
            })?;
            Ok(vec![dy, when(needs[1], || sigmoid_grad(y, gg))?])
        }),
    )
}

/// Whether a layer can apply `act` in its epilogue and differentiate it from
/// the output alone: every activation except a leaky ReLU of negative slope,
/// whose output sign no longer tells the input's.
pub(crate) fn fusable(act: Activation) -> bool {
    !matches!(act, Activation::LeakyRelu(s) if s < 0.0)
}

/// `act(x)` as its own op (the unfused path).
pub(crate) fn activate(x: &Var, act: Activation) -> Result<Var> {
    match act {
        Activation::None => Ok(x.clone()),
        Activation::Relu => relu(x),
        Activation::LeakyRelu(s) => leaky_relu(x, s),
        Activation::Tanh => tanh(x),
        Activation::Sigmoid => sigmoid(x),
    }
}

/// g · act'(z) from the output y = act(z) of a layer that applied `act` in
/// its epilogue (`fusable` acts only): ReLU and leaky ReLU (slope ≥ 0) read
/// z's sign from y's, tanh and sigmoid use y as their own backward does, so
/// the second derivative is that of the unfused graph.
pub(crate) fn activation_grad(act: Activation, y: &Var, g: &Var) -> Result<Var> {
    match act {
        Activation::None => Ok(g.clone()),
        Activation::Relu => relu_grad(y, g),
        Activation::LeakyRelu(s) => leaky_relu_grad(y, g, s),
        Activation::Tanh => tanh_grad(y, g),
        Activation::Sigmoid => sigmoid_grad(y, g),
    }
}
