//! Reductions to scalars and per-sample squared norms.

use super::broadcast::{broadcast_scalar, repeat_cols};
use super::elementwise::{mul, scale};
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::reduce;

/// Σ x, shape [1].
pub fn sum_all(x: &Var) -> Result<Var> {
    let value = reduce::sum_all(x.gpu(), x.value())?;
    Ok(Var::from_op(
        "sum_all",
        value,
        &[x],
        Box::new(|g, inputs, _, _| Ok(vec![Some(broadcast_scalar(g, inputs[0].shape())?)])),
    ))
}

/// Mean of all elements, shape [1].
pub fn mean_all(x: &Var) -> Result<Var> {
    let n = x.value().len() as f32;
    scale(&sum_all(x)?, 1.0 / n)
}

/// Σ over every dimension but the first: the squared norm of each sample, shape [B].
pub fn sum_squares_rows(x: &Var) -> Result<Var> {
    let value = reduce::sum_squares_rows(x.gpu(), x.value())?;
    Ok(Var::from_op(
        "sum_squares_rows",
        value,
        &[x],
        Box::new(|g, inputs, _, _| {
            let x = &inputs[0];
            let per_sample = repeat_cols(&scale(g, 2.0)?, x.shape())?;
            Ok(vec![Some(mul(x, &per_sample)?)])
        }),
    ))
}
