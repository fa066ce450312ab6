//! Launcher for `shaders/data.wgsl`: batches gathered from GPU-resident bytes.

use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    batch: u32,
    image_len: u32,
    offset: u32,
    count: u32,
}

/// Packs bytes four to a word (little-endian) as a tensor's storage.
pub fn upload_bytes(gpu: &Gpu, bytes: &[u8]) -> Result<Tensor> {
    let words: Vec<f32> = bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            f32::from_bits(u32::from_le_bytes(w))
        })
        .collect();
    gpu.upload(&words, &[words.len()])
}

/// u32 values (indices) as the f32s with their bits, which tensors hold.
fn as_bits(values: &[u32]) -> Vec<f32> {
    values.iter().map(|&v| f32::from_bits(v)).collect()
}

/// Stores u32 values (indices) bit for bit in a tensor.
pub fn upload_u32(gpu: &Gpu, values: &[u32]) -> Result<Tensor> {
    let bits = as_bits(values);
    gpu.upload(&bits, &[bits.len()])
}

/// Overwrites `t` with u32 values bit for bit, in order with the work
/// recorded before it (`Gpu::write`).
pub fn write_u32(gpu: &Gpu, t: &Tensor, values: &[u32]) -> Result<()> {
    gpu.write(t, &as_bits(values))
}

/// out [batch, ..image] ← images `order[offset..offset + batch]` (mod count),
/// scaled from bytes to [−1, 1].
pub fn gather_images_into(
    gpu: &Gpu,
    bytes: &Tensor,
    order: &Tensor,
    offset: usize,
    image_len: usize,
    out: &Tensor,
) -> Result<()> {
    let count = order.len();
    let batch = out.shape()[0];
    if out.len() != batch * image_len || bytes.len() * 4 < count * image_len {
        return Err(Error::Invalid {
            op: "gather_images",
            reason: format!(
                "output {:?} must hold {batch} images of {image_len} pixels from {count} stored ones",
                out.shape()
            ),
        });
    }
    let params = Params {
        batch: as_u32("gather_images", "batch", batch)?,
        image_len: as_u32("gather_images", "image length", image_len)?,
        offset: as_u32("gather_images", "offset", offset % count)?,
        count: as_u32("gather_images", "image count", count)?,
    };
    let buffers = [(1, bytes), (2, order), (3, out)];
    gpu.dispatch(
        &Kernel::new(Shader::Data, "gather_images"),
        &params,
        &buffers,
        gpu.grid(out.len(), WORKGROUP_1D),
    );
    Ok(())
}

/// out [batch, classes] ← one-hot rows of the labels (u32 per image) of
/// images `order[offset..offset + batch]` (mod count): the classes of the
/// batch `gather_images_into` takes at the same offset.
pub fn gather_onehot_into(
    gpu: &Gpu,
    labels: &Tensor,
    order: &Tensor,
    offset: usize,
    out: &Tensor,
) -> Result<()> {
    let count = order.len();
    let [batch, classes] = *out.shape() else {
        return Err(Error::Invalid {
            op: "gather_onehot",
            reason: format!("output must be [batch, classes], found {:?}", out.shape()),
        });
    };
    if labels.len() != count {
        return Err(Error::Invalid {
            op: "gather_onehot",
            reason: format!("{} labels for {count} images", labels.len()),
        });
    }
    let params = Params {
        batch: as_u32("gather_onehot", "batch", batch)?,
        image_len: as_u32("gather_onehot", "classes", classes)?,
        offset: as_u32("gather_onehot", "offset", offset % count)?,
        count: as_u32("gather_onehot", "image count", count)?,
    };
    let buffers = [(2, order), (3, out), (4, labels)];
    gpu.dispatch(
        &Kernel::new(Shader::Data, "gather_onehot"),
        &params,
        &buffers,
        gpu.grid(out.len(), WORKGROUP_1D),
    );
    Ok(())
}

/// One-hot rows [n, classes] of k = min(⌊u·classes⌋, classes − 1) for
/// u [n] in [0, 1): uniform random classes, or a toy sample's mode.
pub fn onehot_from_uniform(gpu: &Gpu, u: &Tensor, classes: usize) -> Result<Tensor> {
    if classes == 0 {
        return Err(Error::Invalid {
            op: "onehot_from_uniform",
            reason: "needs at least one class".into(),
        });
    }
    let out = gpu.empty(&[u.len(), classes])?;
    let params = Params {
        batch: as_u32("onehot_from_uniform", "rows", u.len())?,
        image_len: as_u32("onehot_from_uniform", "classes", classes)?,
        offset: 0,
        count: 1,
    };
    gpu.dispatch(
        &Kernel::new(Shader::Data, "onehot_from_uniform"),
        &params,
        &[(3, &out), (5, u)],
        gpu.grid(out.len(), WORKGROUP_1D),
    );
    Ok(out)
}
