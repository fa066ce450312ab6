//! A network's parameters as views of one flat buffer, so an optimizer
//! updates all of them (and clips them, for WGAN) with one dispatch instead
//! of one per parameter tensor.
//!
//! Each parameter starts at a multiple of `VIEW_ALIGN` elements; the padding
//! between them is zero in the parameters, the gradients and the optimizer
//! state, and stays zero: every update rule maps a zero gradient on a zero
//! parameter with zero state to zero.

use crate::autograd::Var;
use crate::error::{Result, expect_shape};
use crate::gpu::kernels::fill::full;
use crate::gpu::{Gpu, Tensor, VIEW_ALIGN};

pub struct FlatParams {
    flat: Tensor,
    /// Start (in elements) and shape of each parameter, in `parameters()` order.
    slots: Vec<(usize, Vec<usize>)>,
    /// The gradients gathered into the same layout before an update.
    grads: Tensor,
}

impl FlatParams {
    /// Moves `params` into one buffer: each value is copied into its slot
    /// and its `Var` replaced by a parameter over the view.
    pub fn adopt(gpu: &Gpu, params: Vec<&mut Var>) -> Result<Self> {
        let mut slots = Vec::with_capacity(params.len());
        let mut total = 0;
        for p in &params {
            slots.push((total, p.shape().to_vec()));
            total += p.value().len().next_multiple_of(VIEW_ALIGN);
        }
        let flat = full(gpu, &[total.max(VIEW_ALIGN)], 0.0)?;
        for (p, (start, shape)) in params.into_iter().zip(&slots) {
            let view = flat.view(*start, shape)?;
            gpu.copy_into(p.value(), &view)?;
            *p = Var::parameter(gpu, view);
        }
        let grads = full(gpu, &[flat.len()], 0.0)?;
        Ok(Self { flat, slots, grads })
    }

    /// Every parameter (and the padding) as one tensor.
    pub fn flat(&self) -> &Tensor {
        &self.flat
    }

    /// Elements of `flat()`, padding included.
    pub fn len(&self) -> usize {
        self.flat.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Per-parameter views of `t`, a tensor laid out like `flat()`
    /// (optimizer state).
    pub fn views(&self, t: &Tensor) -> Result<Vec<Tensor>> {
        expect_shape("flat views", "elements", &[self.len()], &[t.len()])?;
        self.slots
            .iter()
            .map(|(start, shape)| t.view(*start, shape))
            .collect()
    }

    /// Copies each gradient into its slot (copy commands, not dispatches)
    /// and returns the flat gradient.
    pub fn gather(&self, gpu: &Gpu, grads: &[Tensor]) -> Result<&Tensor> {
        expect_shape(
            "flat gradients",
            "count",
            &[self.slots.len()],
            &[grads.len()],
        )?;
        for ((start, shape), g) in self.slots.iter().zip(grads) {
            expect_shape("flat gradients", "gradient", shape, g.shape())?;
            gpu.copy_into(g, &self.grads.view(*start, shape)?)?;
        }
        Ok(&self.grads)
    }
}
