//! Launchers for `shaders/reduce.wgsl`: sum and mean over everything or over
//! one axis, and the sum of squares per row.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    total: u32,
    scale: f32,
    squares: u32,
    _pad: [u32; 2],
}

/// A whole-tensor reduction first folds the data into this many partial
/// sums (one per invocation), then sums the partials.
const PARTIALS: usize = 1024;

/// The shape left after reducing `axis` (the axis removed; a 1-D input gives [1]).
pub fn reduced_shape(shape: &[usize], axis: usize) -> Vec<usize> {
    let mut out: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != axis)
        .map(|(_, &d)| d)
        .collect();
    if out.is_empty() {
        out.push(1);
    }
    out
}

/// One pass: `out[o, i] = scale · Σ_l f(x[o, l, i])` over the view (outer, len, inner).
fn pass(
    gpu: &Gpu,
    x: &Tensor,
    out: &Tensor,
    view: [usize; 3],
    scale: f32,
    squares: bool,
) -> Result<()> {
    let [outer, len, inner] = view;
    let params = Params {
        outer: as_u32("reduce", "outer", outer)?,
        len: as_u32("reduce", "len", len)?,
        inner: as_u32("reduce", "inner", inner)?,
        total: as_u32("reduce", "element count", x.len())?,
        scale,
        squares: u32::from(squares),
        _pad: [0; 2],
    };
    let kernel = Kernel::new(Shader::Reduce, "reduce_forward");
    gpu.dispatch(
        &kernel,
        &params,
        &[(1, x), (2, out)],
        gpu.grid(outer * inner, WORKGROUP_1D),
    );
    Ok(())
}

/// The output shape of a reduction over `axis`, or an error naming the shape.
fn axis_output(shape: &[usize], axis: usize) -> Result<Vec<usize>> {
    if axis >= shape.len() {
        return Err(Error::Invalid {
            op: "sum_axis",
            reason: format!("axis {axis} out of range for shape {shape:?}"),
        });
    }
    Ok(reduced_shape(shape, axis))
}

/// Sum over `axis`, times `scale` (1 for a sum, 1/len for a mean).
pub fn sum_axis_into(gpu: &Gpu, x: &Tensor, axis: usize, scale: f32, out: &Tensor) -> Result<()> {
    let shape = x.shape();
    expect_shape(
        "sum_axis",
        "output",
        &axis_output(shape, axis)?,
        out.shape(),
    )?;
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    pass(gpu, x, out, [outer, shape[axis], inner], scale, false)
}

pub fn sum_axis(gpu: &Gpu, x: &Tensor, axis: usize) -> Result<Tensor> {
    let out = gpu.empty(&axis_output(x.shape(), axis)?)?;
    sum_axis_into(gpu, x, axis, 1.0, &out)?;
    Ok(out)
}

/// Sum of every element times `scale`, into a one-element tensor.
pub fn sum_all_into(gpu: &Gpu, x: &Tensor, scale: f32, out: &Tensor) -> Result<()> {
    expect_shape("sum_all", "output", &[1], out.shape())?;
    let n = x.len();
    if n <= 4 * PARTIALS {
        return pass(gpu, x, out, [1, n, 1], scale, false);
    }
    let partials = gpu.empty(&[PARTIALS])?;
    pass(
        gpu,
        x,
        &partials,
        [1, n.div_ceil(PARTIALS), PARTIALS],
        1.0,
        false,
    )?;
    pass(gpu, &partials, out, [1, PARTIALS, 1], scale, false)
}

pub fn sum_all(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(&[1])?;
    sum_all_into(gpu, x, 1.0, &out)?;
    Ok(out)
}

pub fn mean_all(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(&[1])?;
    sum_all_into(gpu, x, 1.0 / x.len() as f32, &out)?;
    Ok(out)
}

/// Σ x[r, ..]² for each row r: every dimension but the first is summed, as
/// the gradient penalty needs the squared norm of each sample.
pub fn sum_squares_rows_into(gpu: &Gpu, x: &Tensor, out: &Tensor) -> Result<()> {
    let rows = x.shape()[0];
    expect_shape("sum_squares_rows", "output", &[rows], out.shape())?;
    pass(gpu, x, out, [rows, x.len() / rows, 1], 1.0, true)
}

pub fn sum_squares_rows(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(&[x.shape()[0]])?;
    sum_squares_rows_into(gpu, x, &out)?;
    Ok(out)
}
