//! `Tensor`: a pooled storage buffer of f32 plus a shape (row-major).

use std::sync::Arc;

use super::buffer_pool::PooledBuffer;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Tensor {
    buf: Arc<PooledBuffer>,
    shape: Vec<usize>,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?}", self.shape)
    }
}

impl Tensor {
    pub(crate) fn new(buf: PooledBuffer, shape: Vec<usize>) -> Self {
        Self {
            buf: Arc::new(buf),
            shape,
        }
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
            shape: shape.to_vec(),
        })
    }
}
