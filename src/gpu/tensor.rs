//! `Tensor`: a pooled storage buffer of f32 plus a shape (row-major), or a
//! view of part of one (a network's parameters in one flat buffer).

use std::sync::Arc;

use super::buffer_pool::PooledBuffer;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Tensor {
    buf: Arc<PooledBuffer>,
    /// Where a view starts, in bytes (a multiple of `VIEW_ALIGN` elements).
    offset: u64,
    /// A view binds its own range; a whole tensor binds its whole buffer.
    view: bool,
    shape: Vec<usize>,
}

/// Views start at multiples of 64 elements: 256 bytes, the largest storage
/// offset alignment WebGPU allows an adapter to ask for.
pub const VIEW_ALIGN: usize = 64;

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?}", self.shape)
    }
}

impl Tensor {
    pub(crate) fn new(buf: PooledBuffer, shape: Vec<usize>) -> Self {
        Self {
            buf: Arc::new(buf),
            offset: 0,
            view: false,
            shape,
        }
    }

    /// The `shape`-sized part of this tensor's storage starting `start`
    /// elements in (a multiple of `VIEW_ALIGN`). Writes through either are
    /// seen by both.
    pub fn view(&self, start: usize, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if !start.is_multiple_of(VIEW_ALIGN) || n == 0 || start + n > self.len() {
            return Err(Error::Invalid {
                op: "view",
                reason: format!(
                    "{shape:?} at element {start} of a tensor of {} elements (views start at \
                     multiples of {VIEW_ALIGN} and lie inside)",
                    self.len()
                ),
            });
        }
        Ok(Tensor {
            buf: Arc::clone(&self.buf),
            offset: self.offset + 4 * start as u64,
            view: true,
            shape: shape.to_vec(),
        })
    }

    /// Where the tensor's data starts in `buffer()`, in bytes.
    pub fn offset_bytes(&self) -> u64 {
        self.offset
    }

    /// The binding of this tensor in a bind group: a view's own range
    /// (rounded up to 16 bytes, so it binds as `array<vec4<f32>>`; views are
    /// padded to `VIEW_ALIGN`), or the whole buffer.
    pub(crate) fn binding(&self) -> wgpu::BindingResource<'_> {
        let (offset, size) = self.binding_range();
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: self.buffer(),
            offset,
            size: size.and_then(wgpu::BufferSize::new),
        })
    }

    /// Offset and size of `binding()` in bytes (no size: to the end).
    pub(crate) fn binding_range(&self) -> (u64, Option<u64>) {
        if !self.view {
            return (0, None);
        }
        let bytes = (4 * self.len() as u64).next_multiple_of(16);
        (
            self.offset,
            Some(bytes.min(self.buffer().size() - self.offset)),
        )
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buf.buffer()
    }

    /// The same storage under another shape with as many elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != self.len() {
            return Err(Error::Shape {
                op: "reshape",
                what: format!("element count {} vs {}", self.len(), n),
                expected: self.shape.clone(),
                found: shape.to_vec(),
            });
        }
        Ok(Tensor {
            buf: Arc::clone(&self.buf),
            offset: self.offset,
            view: self.view,
            shape: shape.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_view_binds_its_own_range_rounded_to_16_bytes() {
        let gpu = crate::Gpu::new(&crate::AdapterChoice::default()).unwrap();
        let t = gpu.empty(&[256]).unwrap();
        assert_eq!(
            t.binding_range(),
            (0, None),
            "a whole tensor binds its buffer"
        );
        // 35 floats = 140 bytes, bound as 144 from byte 256.
        assert_eq!(
            t.view(64, &[5, 7]).unwrap().binding_range(),
            (256, Some(144))
        );
        assert_eq!(
            t.view(192, &[64]).unwrap().binding_range(),
            (768, Some(256))
        );
        // A reshaped view keeps its range.
        let v = t.view(128, &[2, 3]).unwrap().reshape(&[6]).unwrap();
        assert_eq!(v.binding_range(), (512, Some(32)));
    }
}
