//! Differentiable ops. Each forward launches kernels; each backward is
//! written with these same ops, so it can be differentiated again.

mod broadcast;
mod columns;
mod conv;
mod elementwise;
mod matmul;
mod norm;
mod penalty;
mod reduce;

pub use broadcast::{
    add_bias, broadcast_scalar, mul_rows, repeat_cols, reshape, sum_cols, sum_rows, tile_rows,
};
pub use columns::{concat_cols, pad_cols, slice_cols};
pub use conv::{
    add_channel_bias, conv_transpose2d, conv_transpose2d_bias, conv_transpose2d_bias_act, conv2d,
    conv2d_bias, conv2d_bias_act, conv2d_input_grad, conv2d_weight_grad, repeat_channels,
    sum_channels,
};
pub(crate) use elementwise::activate;
pub use elementwise::{
    add, div, leaky_relu, leaky_relu_grad, mul, relu, relu_grad, scale, shift, sigmoid,
    sigmoid_grad, softplus, sqrt, square, sub, tanh, tanh_grad,
};
pub use matmul::{linear, linear_act, matmul};
pub use norm::batch_norm_train;
pub use penalty::penalty;
pub use reduce::{mean_all, sum_all, sum_squares_rows};

use super::var::Var;
use crate::error::Result;
use crate::gpu::kernels::fill;

/// `Some(f())` when the gradient is needed, else None (skips the work).
pub(crate) fn when(needed: bool, f: impl FnOnce() -> Result<Var>) -> Result<Option<Var>> {
    needed.then(f).transpose()
}

/// The result of a fused op's backward kernel: a gradient that is exact but
/// not differentiable again (asking for it is an error naming `op`). For
/// ops no second derivative reaches: the penalty (a loss) and batch norm
/// (a critic with batch norm refuses the penalty).
pub(crate) fn first_order(op: &'static str, value: crate::gpu::Tensor, inputs: &[&Var]) -> Var {
    Var::from_op(
        op,
        value,
        inputs,
        Box::new(move |_, _, _, _| {
            Err(crate::Error::Invalid {
                op,
                reason: "this gradient is not differentiable again".into(),
            })
        }),
    )
}

/// A constant of `v`'s shape filled with `value`.
pub fn full_like(v: &Var, value: f32) -> Result<Var> {
    let t = fill::full(v.gpu(), v.shape(), value)?;
    Ok(Var::constant(v.gpu(), t))
}

pub fn ones_like(v: &Var) -> Result<Var> {
    full_like(v, 1.0)
}

pub fn zeros_like(v: &Var) -> Result<Var> {
    full_like(v, 0.0)
}
