//! Optimizers with PyTorch's semantics and defaults; their state lives in GPU
//! buffers laid out like the network's flat parameters (`FlatParams`), so an
//! update is one kernel over all of them.

mod flat;

pub use flat::FlatParams;

use crate::error::Result;
use crate::gpu::kernels::fill::full;
use crate::gpu::kernels::optim::{AdamStep, RmspropStep, adam_step, rmsprop_step};
use crate::gpu::{Gpu, Tensor};

/// Which optimizer and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimConfig {
    /// torch.optim.Adam: lr, betas (β1, β2), eps, weight_decay (L2).
    Adam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
    },
    /// torch.optim.RMSprop: lr, alpha, eps, weight_decay, momentum, centered.
    Rmsprop {
        lr: f32,
        alpha: f32,
        eps: f32,
        weight_decay: f32,
        momentum: f32,
        centered: bool,
    },
}

impl OptimConfig {
    /// PyTorch's defaults except the learning rate.
    pub fn adam(lr: f32) -> Self {
        OptimConfig::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    pub fn rmsprop(lr: f32) -> Self {
        OptimConfig::Rmsprop {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

/// An optimizer over one network's flat parameters.
pub struct Optimizer {
    config: OptimConfig,
    /// Adam (m, v) or RMSprop (square_avg, grad_avg, momentum_buf), each
    /// laid out like the flat parameters.
    state: Vec<Tensor>,
    /// Per parameter: views of each state tensor (checkpoints name them).
    views: Vec<Vec<Tensor>>,
    step: u64,
    /// WGAN weight clipping, in the update kernel (`set_clip`).
    clip: Option<f32>,
}

impl Optimizer {
    /// State buffers start at zero, as PyTorch's do.
    pub fn new(gpu: &Gpu, config: OptimConfig, params: &FlatParams) -> Result<Self> {
        let buffers = match config {
            OptimConfig::Adam { .. } => 2,
            OptimConfig::Rmsprop { .. } => 3,
        };
        let state = (0..buffers)
            .map(|_| full(gpu, &[params.len()], 0.0))
            .collect::<Result<Vec<_>>>()?;
        let per_state = state
            .iter()
            .map(|s| params.views(s))
            .collect::<Result<Vec<_>>>()?;
        let count = per_state.first().map_or(0, Vec::len);
        let views = (0..count)
            .map(|i| per_state.iter().map(|v| v[i].clone()).collect())
            .collect();
        Ok(Self {
            config,
            state,
            views,
            step: 0,
            clip: None,
        })
    }

    /// PyTorch's names of the per-parameter state buffers, in `state` order.
    pub fn state_names(&self) -> &'static [&'static str] {
        match self.config {
            OptimConfig::Adam { .. } => &["exp_avg", "exp_avg_sq"],
            OptimConfig::Rmsprop { .. } => &["square_avg", "grad_avg", "momentum_buffer"],
        }
    }

    /// The state buffers of parameter `i` (see `state_names`).
    pub fn state(&self, i: usize) -> &[Tensor] {
        &self.views[i]
    }

    /// Updates taken (Adam's bias correction depends on it).
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Sets the update count, for a resumed run.
    pub fn set_steps(&mut self, steps: u64) {
        self.step = steps;
    }

    /// Changes the learning rate (for schedules); the state is kept.
    pub fn set_lr(&mut self, new_lr: f32) {
        match &mut self.config {
            OptimConfig::Adam { lr, .. } | OptimConfig::Rmsprop { lr, .. } => *lr = new_lr,
        }
    }

    /// WGAN weight clipping: from the next update on, every parameter is
    /// clamped to ±c right after it (as PyTorch's WGAN clamps after each
    /// `step()`), in the same kernel: no pass of its own.
    pub fn set_clip(&mut self, clip: Option<f32>) {
        self.clip = clip;
    }

    /// One update of every parameter from its gradient, in place: the
    /// gradients are gathered into the flat layout, then one kernel runs.
    pub fn step(&mut self, gpu: &Gpu, params: &FlatParams, grads: &[Tensor]) -> Result<()> {
        assert_eq!(
            params.len(),
            self.state[0].len(),
            "optimizer built for other parameters"
        );
        let (p, g, s) = (params.flat(), params.gather(gpu, grads)?, &self.state);
        // Counted once the kernel is recorded: a refused update (a bad clip
        // bound, mismatched shapes) leaves the count as it was.
        let step = self.step + 1;
        let updated = match self.config {
            OptimConfig::Adam {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
            } => {
                let h = AdamStep {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    step,
                    clip: self.clip,
                };
                adam_step(gpu, &h, p, g, &s[0], &s[1])
            }
            OptimConfig::Rmsprop {
                lr,
                alpha,
                eps,
                weight_decay,
                momentum,
                centered,
            } => {
                let h = RmspropStep {
                    lr,
                    alpha,
                    eps,
                    weight_decay,
                    momentum,
                    centered,
                    clip: self.clip,
                };
                rmsprop_step(gpu, &h, p, g, &s[0], &s[1], &s[2])
            }
        };
        updated?;
        self.step = step;
        Ok(())
    }
}
