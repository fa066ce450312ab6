//! BatchNorm2d and LayerNorm. LayerNorm (in WGAN-GP critics) and batch norm
//! in eval mode are written with differentiable ops, so their backward (and
//! double backward) comes from the ops' own rules; batch norm in training is
//! one fused op (`batch_norm_train`) whose gradient is first-order only: a
//! critic with batch norm refuses the gradient penalty, so no second
//! derivative ever passes through it.

use crate::autograd::Var;
use crate::autograd::ops::{
    activate, add_channel_bias, batch_norm_train, div, mul, repeat_channels, repeat_cols, reshape,
    scale, shift, sqrt, square, sub, sum_cols, tile_rows,
};
use crate::error::Result;
use crate::gpu::kernels::fill::full;
use crate::gpu::kernels::matmul::Activation;
use crate::gpu::{Gpu, Tensor};

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

    /// Batch norm of x with these affine parameters (`forward_act_with`
    /// without an activation).
    pub fn forward_with(&self, x: &Var, training: bool, weight: &Var, bias: &Var) -> Result<Var> {
        self.forward_act_with(x, training, (weight, bias), Activation::None)
    }

    /// act(batch norm of x). Training: batch statistics, one fused op that
    /// applies the activation too (`batch_norm_train`; its gradient is
    /// first-order only; an activation it cannot fuse is an op of its own).
    /// Eval: the running statistics, with differentiable ops.
    pub fn forward_act_with(
        &self,
        x: &Var,
        training: bool,
        (weight, bias): (&Var, &Var),
        act: Activation,
    ) -> Result<Var> {
        if training {
            let running = (&self.running_mean, &self.running_var);
            let affine = (weight, bias);
            return batch_norm_train(x, affine, running, self.momentum, self.eps, act);
        }
        activate(&self.eval_with(x, weight, bias)?, act)
    }

    fn eval_with(&self, x: &Var, weight: &Var, bias: &Var) -> Result<Var> {
        let shape = x.shape().to_vec();
        let gpu = x.gpu();
        let mean = Var::constant(gpu, self.running_mean.clone());
        let var = Var::constant(gpu, self.running_var.clone());
        let centred = sub(x, &repeat_channels(&mean, &shape)?)?;
        let std = sqrt(&shift(&var, self.eps)?)?;
        let normalized = div(&centred, &repeat_channels(&std, &shape)?)?;
        add_channel_bias(&mul(&normalized, &repeat_channels(weight, &shape)?)?, bias)
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
