//! Column blocks of [rows, cols] matrices: concatenation (a condition beside
//! z), slicing, and zero padding, each the adjoint of the others.

use super::when;
use crate::autograd::var::Var;
use crate::error::{Error, Result};
use crate::gpu::kernels::fill::{copy_block, full};

fn matrix(op: &'static str, x: &Var) -> Result<(usize, usize)> {
    match *x.shape() {
        [r, c] => Ok((r, c)),
        ref s => Err(Error::Invalid {
            op,
            reason: format!("expected a [rows, cols] matrix, found shape {s:?}"),
        }),
    }
}

/// [a | b]: rows of `a` followed by those of `b`.
pub fn concat_cols(a: &Var, b: &Var) -> Result<Var> {
    let ((ra, ca), (rb, cb)) = (matrix("concat_cols", a)?, matrix("concat_cols", b)?);
    crate::error::expect_shape("concat_cols", "rows of b", &[ra], &[rb])?;
    let gpu = a.gpu();
    let value = gpu.empty(&[ra, ca + cb])?;
    copy_block(gpu, a.value(), (0, ca), &value, (0, ca + cb), ra, ca)?;
    copy_block(gpu, b.value(), (0, cb), &value, (ca, ca + cb), ra, cb)?;
    Ok(Var::from_op(
        "concat_cols",
        value,
        &[a, b],
        Box::new(move |g, _, _, needs| {
            Ok(vec![
                when(needs[0], || slice_cols(g, 0, ca))?,
                when(needs[1], || slice_cols(g, ca, cb))?,
            ])
        }),
    ))
}

/// Columns `start..start + len` of `x`.
pub fn slice_cols(x: &Var, start: usize, len: usize) -> Result<Var> {
    let (rows, cols) = matrix("slice_cols", x)?;
    let gpu = x.gpu();
    let value = gpu.empty(&[rows, len])?;
    copy_block(gpu, x.value(), (start, cols), &value, (0, len), rows, len)?;
    Ok(Var::from_op(
        "slice_cols",
        value,
        &[x],
        Box::new(move |g, _, _, _| Ok(vec![Some(pad_cols(g, start, cols)?)])),
    ))
}

/// `x` placed at column `start` of a zero [rows, total] matrix.
pub fn pad_cols(x: &Var, start: usize, total: usize) -> Result<Var> {
    let (rows, len) = matrix("pad_cols", x)?;
    let gpu = x.gpu();
    let value = full(gpu, &[rows, total], 0.0)?;
    copy_block(gpu, x.value(), (0, len), &value, (start, total), rows, len)?;
    Ok(Var::from_op(
        "pad_cols",
        value,
        &[x],
        Box::new(move |g, _, _, _| Ok(vec![Some(slice_cols(g, start, len)?)])),
    ))
}
