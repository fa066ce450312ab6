//! Matmul operands as textures: on lavapipe a storage-buffer load whose
//! address differs by lane is a loop over the 8 lanes with a bounds-check
//! branch per component, a texture load straight-line code, so the lavapipe
//! matmul (shaders/matmul_lanes8.wgsl) loads its operands as texels, from
//! textures bound as read-only storage (cheaper there than sampled ones).
//!
//! An operand's i-th vec4 (as stored, batches stacked) sits at texel
//! (i mod WIDTH, i / WIDTH) of an rgba32float texture: one width serves
//! every shape, so a few textures (per power-of-two height, one for each
//! operand of that height in a dispatch: `BufferPool::operand_texture`)
//! serve a whole workload.
//! The shader's ROW_SHIFT and ROW_MASK spell WIDTH out (a test checks).

use super::Tensor;

/// Texels per texture row: `ROW_SHIFT` and `ROW_MASK` in
/// shaders/matmul_lanes8.wgsl.
pub(crate) const WIDTH: u32 = 4096;

/// Height of the texture an operand of `len` values goes in: its rows of
/// WIDTH texels rounded up to a power of two, or None past the adapter's
/// texture size.
pub(crate) fn height(limits: &wgpu::Limits, len: usize) -> Option<u32> {
    let max = limits.max_texture_dimension_2d;
    let rows = len.div_ceil(4).div_ceil(WIDTH as usize);
    u32::try_from(rows)
        .ok()
        .and_then(u32::checked_next_power_of_two)
        .filter(|&h| h <= max && WIDTH <= max)
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
                    offset: t.offset_bytes() + u64::from(first_row) * u64::from(row_bytes),
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

#[cfg(test)]
mod tests {
    use super::WIDTH;
    use crate::gpu::shaders::Shader;

    #[test]
    fn the_shader_spells_the_same_width() {
        let source = Shader::MatmulLanes8.source();
        let shift = format!("const ROW_SHIFT: u32 = {}u;", WIDTH.trailing_zeros());
        let mask = format!("const ROW_MASK: u32 = {}u;", WIDTH - 1);
        assert!(WIDTH.is_power_of_two());
        assert!(
            source.contains(&shift),
            "matmul_lanes8.wgsl lacks `{shift}`"
        );
        assert!(source.contains(&mask), "matmul_lanes8.wgsl lacks `{mask}`");
    }
}
