//! Matmul operands as textures: on lavapipe a storage-buffer load whose
//! address differs by lane is a loop over the 8 lanes with a bounds-check
//! branch per component, a texel fetch straight-line code, so the lavapipe
//! matmul (shaders/matmul_lanes8.wgsl) fetches its operands as texels.
//!
//! An operand's i-th vec4 (as stored, batches stacked) sits at texel
//! (i mod WIDTH, i / WIDTH) of an rgba32float texture: one width serves
//! every shape, so a few textures per operand slot (one per power-of-two
//! height, `BufferPool::operand_texture`) serve a whole workload.

use super::Tensor;

/// Texels per texture row: `ROW_SHIFT` and `ROW_MASK` in
/// shaders/matmul_lanes8.wgsl.
pub(crate) const WIDTH: u32 = 4096;

/// Rows an operand of `len` values takes (its texture's height is the next
/// power of two), or None past the adapter's texture size.
pub(crate) fn rows(limits: &wgpu::Limits, len: usize) -> Option<u32> {
    let max = limits.max_texture_dimension_2d;
    let rows = len.div_ceil(4).div_ceil(WIDTH as usize);
    u32::try_from(rows)
        .ok()
        .filter(|&r| r.next_power_of_two() <= max && WIDTH <= max)
}

/// Records the copy of `t` (a multiple of 4 values) into `view`: whole
/// rows of WIDTH texels, then the last, partial one.
pub(crate) fn record_copy(
    encoder: &mut wgpu::CommandEncoder,
    t: &Tensor,
    view: &wgpu::TextureView,
) {
    assert!(
        t.len().is_multiple_of(4),
        "operand texture of {} values",
        t.len()
    );
    let texels = (t.len() / 4) as u32;
    let (full_rows, rest) = (texels / WIDTH, texels % WIDTH);
    let row_bytes = WIDTH * 16;
    for (first_row, rows, width) in [(0, full_rows, WIDTH), (full_rows, 1, rest)] {
        if rows == 0 || width == 0 {
            continue;
        }
        encoder.copy_buffer_to_texture(
            wgpu::TexelCopyBufferInfo {
                buffer: t.buffer(),
                layout: wgpu::TexelCopyBufferLayout {
                    offset: t.offset_bytes() + u64::from(first_row * row_bytes),
                    bytes_per_row: Some(row_bytes),
                    rows_per_image: None,
                },
            },
            wgpu::TexelCopyTextureInfo {
                texture: view.texture(),
                mip_level: 0,
                origin: wgpu::Origin3d {
                    x: 0,
                    y: first_row,
                    z: 0,
                },
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::Extent3d {
                width,
                height: rows,
                depth_or_array_layers: 1,
            },
        );
    }
}
