//! Broadcasts and their adjoint sums: tile a row over rows (bias), repeat a
//! per-sample scalar over its features, expand a scalar, reshape.

use super::elementwise::{add, mul};
use crate::autograd::var::Var;
use crate::error::{Error, Result};
use crate::gpu::kernels::{fill, reduce};

/// `v` ([N]) repeated over `rows`: shape [rows, N]. Adjoint of `sum_rows`.
pub fn tile_rows(v: &Var, rows: usize) -> Result<Var> {
    let mut shape = vec![rows];
    shape.extend_from_slice(v.shape());
    let value = v.gpu().empty(&shape)?;
    fill::tile_rows_into(v.gpu(), v.value(), &value)?;
    Ok(Var::from_op(
        "tile_rows",
        value,
        &[v],
        Box::new(|g, _, _, _| Ok(vec![Some(sum_rows(g)?)])),
    ))
}

/// Σ over the first dimension: [R, ...] → [...]. Adjoint of `tile_rows`.
pub fn sum_rows(x: &Var) -> Result<Var> {
    let rows = x.shape()[0];
    let value = reduce::sum_axis(x.gpu(), x.value(), 0)?;
    Ok(Var::from_op(
        "sum_rows",
        value,
        &[x],
        Box::new(move |g, _, _, _| Ok(vec![Some(tile_rows(g, rows)?)])),
    ))
}

/// `v` ([B]) with each element repeated over the rest of `shape` ([B, ...]).
/// Adjoint of `sum_cols`.
pub fn repeat_cols(v: &Var, shape: &[usize]) -> Result<Var> {
    let value = v.gpu().empty(shape)?;
    fill::repeat_cols_into(v.gpu(), v.value(), &value)?;
    Ok(Var::from_op(
        "repeat_cols",
        value,
        &[v],
        Box::new(|g, _, _, _| Ok(vec![Some(sum_cols(g)?)])),
    ))
}

/// Σ over every dimension but the first: [B, ...] → [B]. Adjoint of `repeat_cols`.
pub fn sum_cols(x: &Var) -> Result<Var> {
    let shape = x.shape().to_vec();
    let rows = shape[0];
    let flat = x.value().reshape(&[rows, x.value().len() / rows])?;
    let value = reduce::sum_axis(x.gpu(), &flat, 1)?;
    Ok(Var::from_op(
        "sum_cols",
        value,
        &[x],
        Box::new(move |g, _, _, _| Ok(vec![Some(repeat_cols(g, &shape)?)])),
    ))
}

/// A one-element `v` expanded to `shape`. Adjoint of `sum_all`.
pub fn broadcast_scalar(v: &Var, shape: &[usize]) -> Result<Var> {
    if v.value().len() != 1 {
        return Err(Error::Invalid {
            op: "broadcast_scalar",
            reason: format!("expected one element, found shape {:?}", v.shape()),
        });
    }
    let value = v.gpu().empty(shape)?;
    fill::tile_rows_into(v.gpu(), v.value(), &value)?;
    Ok(Var::from_op(
        "broadcast_scalar",
        value,
        &[v],
        Box::new(|g, _, _, _| Ok(vec![Some(super::reduce::sum_all(g)?)])),
    ))
}

/// The same elements under another shape.
pub fn reshape(x: &Var, shape: &[usize]) -> Result<Var> {
    let value = x.value().reshape(shape)?;
    let original = x.shape().to_vec();
    Ok(Var::from_op(
        "reshape",
        value,
        &[x],
        Box::new(move |g, _, _, _| Ok(vec![Some(reshape(g, &original)?)])),
    ))
}

/// x [R, N] + b [N] broadcast over rows.
pub fn add_bias(x: &Var, b: &Var) -> Result<Var> {
    add(x, &tile_rows(b, x.shape()[0])?)
}

/// x [B, ...] scaled per sample by s [B].
pub fn mul_rows(x: &Var, s: &Var) -> Result<Var> {
    mul(x, &repeat_cols(s, x.shape())?)
}
