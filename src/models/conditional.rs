//! Conditional critics. The trainer packs a sample and its class into one
//! input row, [flattened sample | one-hot class], so the `Network` interface
//! (and the gradient penalty, taken with respect to the sample part only)
//! stays as it is. The generator needs no wrapper: its input is [z | one-hot].
//!
//! - `ProjectionCritic` (Miyato & Koyama 2018): D(x, y) = head(φ(x)) +
//!   ⟨embed(y), φ(x)⟩ with φ the features before the inner critic's head.
//! - `ConcatImageCritic`: the one-hot class as extra constant image planes
//!   beside the channels (for toy data, an MLP on [x | y] is the concat critic).

use super::Network;
use crate::autograd::Var;
use crate::autograd::ops::{add, matmul, mul, repeat_cols, reshape, slice_cols, sum_cols};
use crate::error::Result;
use crate::gpu::kernels::random::{RandomKey, uniform};
use crate::gpu::{Gpu, Tensor};

/// Splits packed rows [B, sample_len + classes] into the sample (reshaped
/// to `sample_shape` per row) and the one-hot class [B, classes].
fn unpack(packed: &Var, sample_shape: &[usize], classes: usize) -> Result<(Var, Var)> {
    let b = packed.shape()[0];
    let len: usize = sample_shape.iter().product();
    let mut shape = vec![b];
    shape.extend_from_slice(sample_shape);
    let x = reshape(&slice_cols(packed, 0, len)?, &shape)?;
    Ok((x, slice_cols(packed, len, classes)?))
}

pub struct ProjectionCritic {
    pub inner: Box<dyn Network>,
    /// [classes, features]: one embedding row per class.
    pub embed: Var,
    sample_shape: Vec<usize>,
}

impl ProjectionCritic {
    /// `features` is the width of the inner critic's head input; the
    /// embedding starts as U(±1/√features), like the head.
    pub fn new(
        gpu: &Gpu,
        inner: Box<dyn Network>,
        sample_shape: &[usize],
        classes: usize,
        features: usize,
        key: RandomKey,
    ) -> Result<Self> {
        let bound = 1.0 / (features as f32).sqrt();
        let embed = uniform(gpu, &[classes, features], key, -bound, bound)?;
        Ok(Self {
            inner,
            embed: Var::parameter(gpu, embed),
            sample_shape: sample_shape.to_vec(),
        })
    }
}

impl Network for ProjectionCritic {
    fn parameters(&self) -> Vec<Var> {
        let mut p = self.inner.parameters();
        p.push(self.embed.clone());
        p
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        let mut p = self.inner.parameters_mut();
        p.push(&mut self.embed);
        p
    }

    fn parameter_names(&self) -> Vec<String> {
        let mut n = self.inner.parameter_names();
        n.push("embed.weight".into());
        n
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.inner.buffers()
    }

    fn forward_with(&self, packed: &Var, p: &[Var], training: bool) -> Result<Var> {
        let classes = self.embed.shape()[0];
        let (x, y) = unpack(packed, &self.sample_shape, classes)?;
        let inner = &p[..p.len() - 1];
        let features = self.inner.features_with(&x, inner, training)?;
        let head = self.inner.head_with(&features, inner, training)?;
        let embedded = matmul(&y, &p[p.len() - 1], false, false)?;
        let projection = sum_cols(&mul(&features, &embedded)?)?;
        add(&head, &reshape(&projection, head.shape())?)
    }
}

pub struct ConcatImageCritic {
    /// A critic over channels + classes.
    pub inner: Box<dyn Network>,
    /// [C, H, W] of the images.
    image_shape: [usize; 3],
    classes: usize,
}

impl ConcatImageCritic {
    pub fn new(inner: Box<dyn Network>, image_shape: [usize; 3], classes: usize) -> Self {
        Self {
            inner,
            image_shape,
            classes,
        }
    }
}

impl Network for ConcatImageCritic {
    fn parameters(&self) -> Vec<Var> {
        self.inner.parameters()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        self.inner.parameters_mut()
    }

    fn parameter_names(&self) -> Vec<String> {
        self.inner.parameter_names()
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.inner.buffers()
    }

    fn forward_with(&self, packed: &Var, p: &[Var], training: bool) -> Result<Var> {
        let [c, h, w] = self.image_shape;
        let b = packed.shape()[0];
        let len = c * h * w;
        let pixels = slice_cols(packed, 0, len)?;
        let y = slice_cols(packed, len, self.classes)?;
        // Each class entry repeated over a plane: [B, classes·H·W].
        let planes = repeat_cols(
            &reshape(&y, &[b * self.classes])?,
            &[b * self.classes, h * w],
        )?;
        let planes = reshape(&planes, &[b, self.classes * h * w])?;
        let x = crate::autograd::ops::concat_cols(&pixels, &planes)?;
        let x = reshape(&x, &[b, c + self.classes, h, w])?;
        self.inner.forward_with(&x, p, training)
    }
}
