//! BatchNorm2d and LayerNorm written with differentiable ops, so their
//! backward (and double backward) comes from the ops' own rules.

use crate::autograd::ops::{
    add_channel_bias, div, mul, repeat_channels, repeat_cols, reshape, scale, shift, sqrt, square,
    sub, sum_cols, sum_rows, tile_rows,
};
use crate::autograd::{Var, no_grad};
use crate::error::Result;
use crate::gpu::kernels::elementwise::{Binary, binary};
use crate::gpu::kernels::fill::{copy_range, full};
use crate::gpu::{Gpu, Tensor};

/// Mean over (batch, height, width) of x [B, C, H, W] for each channel: [C].
fn channel_mean(x: &Var) -> Result<Var> {
    let (b, c) = (x.shape()[0], x.shape()[1]);
    let plane = x.value().len() / (b * c);
    let per_plane = sum_cols(&reshape(x, &[b * c, plane])?)?;
    scale(
        &sum_rows(&reshape(&per_plane, &[b, c])?)?,
        1.0 / (b * plane) as f32,
    )
}

/// `torch.nn.BatchNorm2d`: batch statistics in training (running statistics
/// updated with `momentum`, the variance unbiased), running ones in eval.
pub struct BatchNorm2d {
    pub weight: Var,
    pub bias: Var,
    pub running_mean: Tensor,
    pub running_var: Tensor,
    pub momentum: f32,
    pub eps: f32,
}

impl BatchNorm2d {
    pub fn new(gpu: &Gpu, channels: usize) -> Result<Self> {
        Ok(Self {
            weight: Var::parameter(gpu, full(gpu, &[channels], 1.0)?),
            bias: Var::parameter(gpu, full(gpu, &[channels], 0.0)?),
            running_mean: full(gpu, &[channels], 0.0)?,
            running_var: full(gpu, &[channels], 1.0)?,
            momentum: 0.1,
            eps: 1e-5,
        })
    }

    pub fn forward(&self, x: &Var, training: bool) -> Result<Var> {
        self.forward_with(x, training, &self.weight, &self.bias)
    }

    pub fn forward_with(&self, x: &Var, training: bool, weight: &Var, bias: &Var) -> Result<Var> {
        let shape = x.shape().to_vec();
        let (mean, var) = if training {
            let mean = channel_mean(x)?;
            let centred = sub(x, &repeat_channels(&mean, &shape)?)?;
            let var = channel_mean(&square(&centred)?)?;
            self.update_running(&mean, &var, x.value().len() / shape[1])?;
            (mean, var)
        } else {
            let gpu = x.gpu();
            (
                Var::constant(gpu, self.running_mean.clone()),
                Var::constant(gpu, self.running_var.clone()),
            )
        };
        let centred = sub(x, &repeat_channels(&mean, &shape)?)?;
        let std = sqrt(&shift(&var, self.eps)?)?;
        let normalized = div(&centred, &repeat_channels(&std, &shape)?)?;
        add_channel_bias(&mul(&normalized, &repeat_channels(weight, &shape)?)?, bias)
    }

    /// running ← (1 − m)·running + m·batch, with the unbiased batch variance.
    fn update_running(&self, mean: &Var, var: &Var, n: usize) -> Result<()> {
        let _no_grad = no_grad();
        let gpu = mean.gpu();
        let unbiased = scale(var, n as f32 / (n.max(2) - 1) as f32)?;
        for (running, batch) in [(&self.running_mean, mean), (&self.running_var, &unbiased)] {
            let diff = binary(gpu, Binary::Sub, batch.value(), running)?;
            let updated = binary(gpu, Binary::Axpy(self.momentum), &diff, running)?;
            copy_range(gpu, &updated, 0, running, 0, running.len())?;
        }
        Ok(())
    }

    pub fn parameters(&self) -> Vec<Var> {
        vec![self.weight.clone(), self.bias.clone()]
    }

    /// As `parameters`, to move them (see `FlatParams::adopt`).
    pub fn parameters_mut(&mut self) -> Vec<&mut Var> {
        vec![&mut self.weight, &mut self.bias]
    }

    /// The running statistics under `prefix` (state_dict names).
    pub fn buffers(&self, prefix: &str) -> Vec<(String, Tensor)> {
        vec![
            (format!("{prefix}.running_mean"), self.running_mean.clone()),
            (format!("{prefix}.running_var"), self.running_var.clone()),
        ]
    }
}

/// `torch.nn.LayerNorm(normalized_shape = x.shape[1..])`: per-sample
/// statistics over every non-batch dimension, elementwise affine.
pub struct LayerNorm {
    pub weight: Var,
    pub bias: Var,
    pub eps: f32,
}

impl LayerNorm {
    pub fn new(gpu: &Gpu, normalized_shape: &[usize]) -> Result<Self> {
        Ok(Self {
            weight: Var::parameter(gpu, full(gpu, normalized_shape, 1.0)?),
            bias: Var::parameter(gpu, full(gpu, normalized_shape, 0.0)?),
            eps: 1e-5,
        })
    }

    pub fn forward(&self, x: &Var) -> Result<Var> {
        self.forward_with(x, &self.weight, &self.bias)
    }

    pub fn forward_with(&self, x: &Var, weight: &Var, bias: &Var) -> Result<Var> {
        let shape = x.shape().to_vec();
        let (b, d) = (shape[0], x.value().len() / shape[0]);
        let mean = scale(&sum_cols(x)?, 1.0 / d as f32)?;
        let centred = sub(x, &repeat_cols(&mean, &shape)?)?;
        let var = scale(&sum_cols(&square(&centred)?)?, 1.0 / d as f32)?;
        let std = sqrt(&shift(&var, self.eps)?)?;
        let normalized = div(&centred, &repeat_cols(&std, &shape)?)?;
        let affine = mul(&normalized, &reshape(&tile_rows(weight, b)?, &shape)?)?;
        crate::autograd::ops::add(&affine, &reshape(&tile_rows(bias, b)?, &shape)?)
    }

    pub fn parameters(&self) -> Vec<Var> {
        vec![self.weight.clone(), self.bias.clone()]
    }

    /// As `parameters`, to move them (see `FlatParams::adopt`).
    pub fn parameters_mut(&mut self) -> Vec<&mut Var> {
        vec![&mut self.weight, &mut self.bias]
    }
}
