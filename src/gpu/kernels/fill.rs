//! Launchers for `shaders/fill.wgsl`: fill with a value, copy a range.

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
}

/// Sets every element of `out` to `value`.
pub fn fill(gpu: &Gpu, out: &Tensor, value: f32) -> Result<()> {
    let params = Params {
        n: as_u32("fill", "element count", out.len())?,
        src_offset: 0,
        dst_offset: 0,
        value,
    };
    let kernel = Kernel::new(Shader::Fill, "fill_forward");
    gpu.dispatch(
        &kernel,
        &params,
        &[(2, out.buffer())],
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
    let params = Params {
        n: as_u32("copy", "element count", n)?,
        src_offset: as_u32("copy", "source offset", src_offset)?,
        dst_offset: as_u32("copy", "destination offset", dst_offset)?,
        value: 0.0,
    };
    let kernel = Kernel::new(Shader::Fill, "copy_forward");
    gpu.dispatch(
        &kernel,
        &params,
        &[(1, src.buffer()), (2, dst.buffer())],
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
