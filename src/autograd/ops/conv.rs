//! conv2d and conv_transpose2d as autograd ops. Their gradients are the two
//! other members of the family (input gradient = transposed conv, weight
//! gradient = its own op), each differentiable again, so the gradient
//! penalty of a conv critic is exact.

use super::broadcast::{reshape, sum_cols, sum_rows};
use super::elementwise::{activate, activation_grad, fusable};
use super::when;
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::conv::{
    Conv2dSpec, SharedOperand, conv_transpose2d_shared_into, conv2d_backward_input_shared_into,
    conv2d_backward_weight_shared_into, conv2d_shared_into,
};
use crate::gpu::kernels::fill::repeat_channels_into;
use crate::gpu::kernels::matmul::Activation;

/// y = conv2d(x, w): x [B, C, H, W], w [O, C, KH, KW].
pub fn conv2d(x: &Var, w: &Var, spec: Conv2dSpec) -> Result<Var> {
    conv2d_shared((x, &SharedOperand::new(x.value())), w, spec)
}

/// `conv2d` with x's NHWC copy shared (`SharedOperand`): each op below
/// keeps its operands' copies for its backward, where the gradients read
/// the same tensors again, and hands a gradient's copy to both ops that
/// read it. Only the lavapipe paths make copies; the values are the same.
fn conv2d_shared((x, xo): (&Var, &SharedOperand), w: &Var, spec: Conv2dSpec) -> Result<Var> {
    let shape = crate::gpu::kernels::conv::conv2d_shape(x.shape(), w.shape(), spec)?;
    let value = x.gpu().empty(&shape.output())?;
    conv2d_shared_into(x.gpu(), xo, w.value(), None, spec, Activation::None, &value)?;
    let xo = xo.clone();
    Ok(Var::from_op(
        "conv2d",
        value,
        &[x, w],
        Box::new(move |g, inputs, _, needs| {
            conv_grads(g, (&inputs[0], &xo), &inputs[1], spec, needs)
        }),
    ))
}

/// dx and dw of y = conv2d(x, w) from g = dy, sharing g's NHWC copy.
fn conv_grads(
    g: &Var,
    (x, xo): (&Var, &SharedOperand),
    w: &Var,
    spec: Conv2dSpec,
    needs: &[bool],
) -> Result<Vec<Option<Var>>> {
    let go = SharedOperand::new(g.value());
    Ok(vec![
        when(needs[0], || input_grad_shared((g, &go), w, spec, x.shape()))?,
        when(needs[1], || {
            weight_grad_shared((x, xo), (g, &go), spec, w.shape())
        })?,
    ])
}

/// The input gradient of conv2d: dx [x_shape] from dy and w.
pub fn conv2d_input_grad(dy: &Var, w: &Var, spec: Conv2dSpec, x_shape: &[usize]) -> Result<Var> {
    input_grad_shared((dy, &SharedOperand::new(dy.value())), w, spec, x_shape)
}

fn input_grad_shared(
    (dy, dyo): (&Var, &SharedOperand),
    w: &Var,
    spec: Conv2dSpec,
    x_shape: &[usize],
) -> Result<Var> {
    let value = dy.gpu().empty(x_shape)?;
    conv2d_backward_input_shared_into(dy.gpu(), dyo, w.value(), spec, &value)?;
    let dyo = dyo.clone();
    Ok(Var::from_op(
        "conv2d_input_grad",
        value,
        &[dy, w],
        Box::new(move |gg, inputs, _, needs| {
            let (dy, w) = (&inputs[0], &inputs[1]);
            let ggo = SharedOperand::new(gg.value());
            Ok(vec![
                when(needs[0], || conv2d_shared((gg, &ggo), w, spec))?,
                when(needs[1], || {
                    weight_grad_shared((gg, &ggo), (dy, &dyo), spec, w.shape())
                })?,
            ])
        }),
    ))
}

/// The weight gradient of conv2d: dw [w_shape] from x and dy.
pub fn conv2d_weight_grad(x: &Var, dy: &Var, spec: Conv2dSpec, w_shape: &[usize]) -> Result<Var> {
    let (xo, dyo) = (
        SharedOperand::new(x.value()),
        SharedOperand::new(dy.value()),
    );
    weight_grad_shared((x, &xo), (dy, &dyo), spec, w_shape)
}

fn weight_grad_shared(
    (x, xo): (&Var, &SharedOperand),
    (dy, dyo): (&Var, &SharedOperand),
    spec: Conv2dSpec,
    w_shape: &[usize],
) -> Result<Var> {
    let value = x.gpu().empty(w_shape)?;
    conv2d_backward_weight_shared_into(x.gpu(), (xo, dyo), spec, &value)?;
    let (xo, dyo) = (xo.clone(), dyo.clone());
    Ok(Var::from_op(
        "conv2d_weight_grad",
        value,
        &[x, dy],
        Box::new(move |gg, inputs, _, needs| {
            let (x, dy) = (&inputs[0], &inputs[1]);
            Ok(vec![
                when(needs[0], || {
                    input_grad_shared((dy, &dyo), gg, spec, x.shape())
                })?,
                when(needs[1], || conv2d_shared((x, &xo), gg, spec))?,
            ])
        }),
    ))
}

/// conv_transpose2d(x, w) with w [C_in, C_out, KH, KW]: the input gradient of
/// the conv2d that maps its output back to x.
pub fn conv_transpose2d(x: &Var, w: &Var, spec: Conv2dSpec) -> Result<Var> {
    let shape = crate::gpu::kernels::conv::conv_transpose2d_shape(x.shape(), w.shape(), spec)?;
    conv2d_input_grad(x, w, spec, &shape.input())
}

/// v [C] broadcast over [B, C, H, W]. Adjoint: sum over batch and pixels.
pub fn repeat_channels(v: &Var, shape: &[usize]) -> Result<Var> {
    let value = v.gpu().empty(shape)?;
    repeat_channels_into(v.gpu(), v.value(), &value)?;
    let shape = shape.to_vec();
    Ok(Var::from_op(
        "repeat_channels",
        value,
        &[v],
        Box::new(move |g, _, _, _| {
            debug_assert_eq!(g.shape(), shape.as_slice());
            Ok(vec![Some(sum_channels(g)?)])
        }),
    ))
}

/// x [B, C, H, W] + b [C] per channel.
/// Σ over batch and pixels per channel of g [B, C, H, W]: [C]. The adjoint
/// of `repeat_channels`, and a channel bias's gradient.
pub fn sum_channels(g: &Var) -> Result<Var> {
    let (b, c) = (g.shape()[0], g.shape()[1]);
    let per_plane = sum_cols(&reshape(g, &[b * c, g.value().len() / (b * c)])?)?;
    sum_rows(&reshape(&per_plane, &[b, c])?)
}

/// conv2d(x, w) + b per output channel, the bias added in the conv's own
/// epilogue pass (no separate broadcast and add).
pub fn conv2d_bias(x: &Var, w: &Var, b: &Var, spec: Conv2dSpec) -> Result<Var> {
    conv2d_bias_act(x, w, b, spec, Activation::None)
}

/// act(conv2d(x, w) + b): the activation rides in the conv's bias pass too.
/// Backward: g·act' from the output (`activation_grad`), then
/// `conv2d_bias`'s gradients.
pub fn conv2d_bias_act(
    x: &Var,
    w: &Var,
    b: &Var,
    spec: Conv2dSpec,
    act: Activation,
) -> Result<Var> {
    if !fusable(act) {
        return activate(&conv2d_bias(x, w, b, spec)?, act);
    }
    let shape = crate::gpu::kernels::conv::conv2d_shape(x.shape(), w.shape(), spec)?;
    let value = x.gpu().empty(&shape.output())?;
    let xo = SharedOperand::new(x.value());
    conv2d_shared_into(x.gpu(), &xo, w.value(), Some(b.value()), spec, act, &value)?;
    Ok(Var::from_op(
        if act == Activation::None {
            "conv2d_bias"
        } else {
            "conv2d_bias_act"
        },
        value,
        &[x, w, b],
        Box::new(move |g, inputs, out, needs| {
            let g = &activation_grad(act, out, g)?;
            let mut grads = conv_grads(g, (&inputs[0], &xo), &inputs[1], spec, needs)?;
            grads.push(when(needs[2], || sum_channels(g))?);
            Ok(grads)
        }),
    ))
}

/// conv_transpose2d(x, w) + b per output channel, fused as in `conv2d_bias`.
pub fn conv_transpose2d_bias(x: &Var, w: &Var, b: &Var, spec: Conv2dSpec) -> Result<Var> {
    conv_transpose2d_bias_act(x, w, b, spec, Activation::None)
}

/// act(conv_transpose2d(x, w) + b), the activation in the bias pass as in
/// `conv2d_bias_act`.
pub fn conv_transpose2d_bias_act(
    x: &Var,
    w: &Var,
    b: &Var,
    spec: Conv2dSpec,
    act: Activation,
) -> Result<Var> {
    if !fusable(act) {
        return activate(&conv_transpose2d_bias(x, w, b, spec)?, act);
    }
    let shape = crate::gpu::kernels::conv::conv_transpose2d_shape(x.shape(), w.shape(), spec)?;
    let value = x.gpu().empty(&shape.input())?;
    let xo = SharedOperand::new(x.value());
    conv_transpose2d_shared_into(x.gpu(), &xo, w.value(), Some(b.value()), spec, act, &value)?;
    Ok(Var::from_op(
        if act == Activation::None {
            "conv_transpose2d_bias"
        } else {
            "conv_transpose2d_bias_act"
        },
        value,
        &[x, w, b],
        Box::new(move |g, inputs, out, needs| {
            let (x, w) = (&inputs[0], &inputs[1]);
            let g = &activation_grad(act, out, g)?;
            let go = SharedOperand::new(g.value());
            // y = convᵀ(x, w) is the input gradient of a conv: its own
            // gradients are that conv and its weight gradient.
            Ok(vec![
                when(needs[0], || conv2d_shared((g, &go), w, spec))?,
                when(needs[1], || {
                    weight_grad_shared((g, &go), (x, &xo), spec, w.shape())
                })?,
                when(needs[2], || sum_channels(g))?,
            ])
        }),
    ))
}

pub fn add_channel_bias(x: &Var, b: &Var) -> Result<Var> {
    super::add(x, &repeat_channels(b, x.shape())?)
}
