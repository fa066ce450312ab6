//! `Linear`: y = x·Wᵀ + b with W stored [out, in] as in PyTorch.

use crate::autograd::Var;
use crate::autograd::ops::linear;
use crate::error::Result;
use crate::gpu::kernels::fill::full;
use crate::gpu::kernels::random::{RandomKey, normal, uniform};
use crate::gpu::{Gpu, Tensor};

/// Weight initialisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Init {
    /// PyTorch's default: W and b ~ U(−1/√in, 1/√in).
    #[default]
    PyTorch,
    /// DCGAN's: W ~ N(0, 0.02²), b = 0.
    Dcgan,
}

impl Init {
    /// A weight of `shape` with `fan_in` inputs per output, and a bias of
    /// `outputs`, from two tagged sub-streams of `key`.
    pub fn draw(
        self,
        gpu: &Gpu,
        shape: &[usize],
        fan_in: usize,
        outputs: usize,
        key: RandomKey,
    ) -> Result<(Tensor, Tensor)> {
        let (wk, bk) = (key.substream(0x57), key.substream(0x42));
        match self {
            Init::PyTorch => {
                let bound = 1.0 / (fan_in as f32).sqrt();
                Ok((
                    uniform(gpu, shape, wk, -bound, bound)?,
                    uniform(gpu, &[outputs], bk, -bound, bound)?,
                ))
            }
            Init::Dcgan => Ok((
                normal(gpu, shape, wk, 0.0, 0.02)?,
                full(gpu, &[outputs], 0.0)?,
            )),
        }
    }
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
        let (w, b) = init.draw(gpu, &[outputs, inputs], inputs, outputs, key)?;
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
        linear(x, weight, bias)
    }
}
