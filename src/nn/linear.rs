//! `Linear`: y = x·Wᵀ + b with W stored [out, in] as in PyTorch.

use crate::autograd::Var;
use crate::autograd::ops::{add_bias, matmul};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::gpu::kernels::fill::full;
use crate::gpu::kernels::random::{RandomKey, normal, uniform};

/// Weight initialisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Init {
    /// PyTorch's default: W and b ~ U(−1/√in, 1/√in).
    #[default]
    PyTorch,
    /// DCGAN's: W ~ N(0, 0.02²), b = 0.
    Dcgan,
}

pub struct Linear {
    pub weight: Var,
    pub bias: Var,
}

impl Linear {
    /// Drawn on the GPU from `key` (weight and bias use two tagged sub-streams).
    pub fn new(
        gpu: &Gpu,
        inputs: usize,
        outputs: usize,
        init: Init,
        key: RandomKey,
    ) -> Result<Self> {
        let (w, b) = match init {
            Init::PyTorch => {
                let bound = 1.0 / (inputs as f32).sqrt();
                (
                    uniform(gpu, &[outputs, inputs], key.substream(0x57), -bound, bound)?,
                    uniform(gpu, &[outputs], key.substream(0x42), -bound, bound)?,
                )
            }
            Init::Dcgan => (
                normal(gpu, &[outputs, inputs], key.substream(0x57), 0.0, 0.02)?,
                full(gpu, &[outputs], 0.0)?,
            ),
        };
        Ok(Self {
            weight: Var::parameter(gpu, w),
            bias: Var::parameter(gpu, b),
        })
    }

    pub fn forward(&self, x: &Var) -> Result<Var> {
        self.forward_with(x, &self.weight, &self.bias)
    }

    /// The layer with other parameter vars (detached copies, for instance).
    pub fn forward_with(&self, x: &Var, weight: &Var, bias: &Var) -> Result<Var> {
        add_bias(&matmul(x, weight, false, true)?, bias)
    }
}
