//! Launchers for `shaders/fill.wgsl`: fill with a value, copy a range, and
//! the broadcasts that copying with a period and a divisor gives.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    src_offset: u32,
    dst_offset: u32,
    value: f32,
    div: u32,
    period: u32,
    src_stride: u32,
    dst_stride: u32,
}

/// Sets every element of `out` to `value`.
pub fn fill(gpu: &Gpu, out: &Tensor, value: f32) -> Result<()> {
    let params = Params {
        n: as_u32("fill", "element count", out.len())?,
        src_offset: 0,
        dst_offset: 0,
        value,
        div: 1,
        period: 1,
        src_stride: 0,
        dst_stride: 0,
    };
    let kernel = Kernel::new(Shader::Fill, "fill_forward");
    gpu.dispatch(
        &kernel,
        &params,
        &[(2, out)],
        gpu.grid(out.len(), WORKGROUP_1D),
    );
    Ok(())
}

/// A new tensor of `shape` holding `value` everywhere.
pub fn full(gpu: &Gpu, shape: &[usize], value: f32) -> Result<Tensor> {
    let out = gpu.empty(shape)?;
    fill(gpu, &out, value)?;
    Ok(out)
}

/// Copies `n` elements from `src[src_offset..]` to `dst[dst_offset..]`.
pub fn copy_range(
    gpu: &Gpu,
    src: &Tensor,
    src_offset: usize,
    dst: &Tensor,
    dst_offset: usize,
    n: usize,
) -> Result<()> {
    if src_offset + n > src.len() || dst_offset + n > dst.len() {
        return Err(Error::Invalid {
            op: "copy",
            reason: format!(
                "range out of bounds: {n} elements from offset {src_offset} of {:?} to offset {dst_offset} of {:?}",
                src.shape(),
                dst.shape()
            ),
        });
    }
    launch_copy(gpu, src, src_offset, dst, dst_offset, n, (1, n))
}

/// `dst[i] = src[src_offset + (i / div) % period]` for every element of dst.
fn launch_copy(
    gpu: &Gpu,
    src: &Tensor,
    src_offset: usize,
    dst: &Tensor,
    dst_offset: usize,
    n: usize,
    (div, period): (usize, usize),
) -> Result<()> {
    let params = Params {
        n: as_u32("copy", "element count", n)?,
        src_offset: as_u32("copy", "source offset", src_offset)?,
        dst_offset: as_u32("copy", "destination offset", dst_offset)?,
        value: 0.0,
        div: as_u32("copy", "divisor", div.max(1))?,
        period: as_u32("copy", "period", period.max(1))?,
        src_stride: 0,
        dst_stride: 0,
    };
    let kernel = Kernel::new(Shader::Fill, "copy_forward");
    gpu.dispatch(
        &kernel,
        &params,
        &[(1, src), (2, dst)],
        gpu.grid(n, WORKGROUP_1D),
    );
    Ok(())
}

/// One block of a matrix into another: `rows` × `cols` elements from
/// `src` (row stride `src_stride`, starting at column `src_col`) to `dst`
/// (row stride `dst_stride`, column `dst_col`). Concatenates and slices columns.
#[allow(clippy::too_many_arguments)]
pub fn copy_block(
    gpu: &Gpu,
    src: &Tensor,
    (src_col, src_stride): (usize, usize),
    dst: &Tensor,
    (dst_col, dst_stride): (usize, usize),
    rows: usize,
    cols: usize,
) -> Result<()> {
    let last = |col: usize, stride: usize| (rows - 1) * stride + col + cols;
    if rows == 0
        || cols == 0
        || src_col + cols > src_stride
        || dst_col + cols > dst_stride
        || last(src_col, src_stride) > src.len()
        || last(dst_col, dst_stride) > dst.len()
    {
        return Err(Error::Invalid {
            op: "copy_block",
            reason: format!(
                "{rows}×{cols} block from column {src_col} (stride {src_stride}) of {:?} to column \
                 {dst_col} (stride {dst_stride}) of {:?} is out of bounds",
                src.shape(),
                dst.shape()
            ),
        });
    }
    let n = rows * cols;
    let params = Params {
        n: as_u32("copy_block", "element count", n)?,
        src_offset: as_u32("copy_block", "source column", src_col)?,
        dst_offset: as_u32("copy_block", "destination column", dst_col)?,
        value: 0.0,
        div: as_u32("copy_block", "columns", cols)?,
        period: 1,
        src_stride: as_u32("copy_block", "source stride", src_stride)?,
        dst_stride: as_u32("copy_block", "destination stride", dst_stride)?,
    };
    gpu.dispatch(
        &Kernel::new(Shader::Fill, "copy_block"),
        &params,
        &[(1, src), (2, dst)],
        gpu.grid(n, WORKGROUP_1D),
    );
    Ok(())
}

/// A copy of `src` in a new buffer.
pub fn copy(gpu: &Gpu, src: &Tensor) -> Result<Tensor> {
    let out = gpu.empty(src.shape())?;
    copy_range(gpu, src, 0, &out, 0, src.len())?;
    Ok(out)
}

/// `out[r, ..] = v` for every row r: `v` repeated `rows` times, out shape
/// `[rows, v.shape..]`. A one-element `v` fills any shape given as `rows`.
pub fn tile_rows_into(gpu: &Gpu, v: &Tensor, out: &Tensor) -> Result<()> {
    if !out.len().is_multiple_of(v.len()) {
        return Err(Error::Shape {
            op: "tile_rows",
            what: "output elements must be a multiple of the row's".into(),
            expected: v.shape().to_vec(),
            found: out.shape().to_vec(),
        });
    }
    launch_copy(gpu, v, 0, out, 0, out.len(), (1, v.len()))
}

/// `out[r, j] = v[r]` for j < cols: each element of `v` repeated over a row.
pub fn repeat_cols_into(gpu: &Gpu, v: &Tensor, out: &Tensor) -> Result<()> {
    let rows = v.len();
    if out.shape().first() != Some(&rows) {
        return Err(Error::Shape {
            op: "repeat_cols",
            what: "the output's first dimension must match the vector".into(),
            expected: vec![rows],
            found: out.shape().to_vec(),
        });
    }
    launch_copy(gpu, v, 0, out, 0, out.len(), (out.len() / rows, rows))
}

/// `out[b, c, ..] = v[c]`: a per-channel vector broadcast over [B, C, H, W].
pub fn repeat_channels_into(gpu: &Gpu, v: &Tensor, out: &Tensor) -> Result<()> {
    let channels = v.len();
    if out.shape().get(1) != Some(&channels) {
        return Err(Error::Shape {
            op: "repeat_channels",
            what: "the output's channel dimension must match the vector".into(),
            expected: vec![channels],
            found: out.shape().to_vec(),
        });
    }
    let plane: usize = out.shape()[2..].iter().product();
    launch_copy(gpu, v, 0, out, 0, out.len(), (plane, channels))
}
