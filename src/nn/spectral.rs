//! Spectral normalization (Miyato et al. 2018), as
//! `torch.nn.utils.spectral_norm`: W is viewed as a matrix [out, rest],
//! one power iteration per training forward refines the persistent u, and
//! the layer uses W / σ with σ = uᵀ W v. u and v are constants to autograd;
//! the gradient flows through σ's dependence on W.

use crate::autograd::ops::{broadcast_scalar, div, matmul, mul, reshape, shift, sqrt, sum_all};
use crate::autograd::{Var, no_grad};
use crate::error::Result;
use crate::gpu::kernels::fill::copy;
use crate::gpu::kernels::random::{RandomKey, normal};
use crate::gpu::{Gpu, Tensor};

/// torch's eps in `normalize` for the power iteration.
const EPS: f32 = 1e-12;

pub struct SpectralNorm {
    /// The persistent left singular vector estimate, [1, out].
    pub u: Tensor,
}

/// x / ‖x‖ for a row vector, as a constant.
fn normalized(x: &Var) -> Result<Var> {
    let norm = sqrt(&shift(&sum_all(&mul(x, x)?)?, EPS * EPS)?)?;
    div(x, &broadcast_scalar(&norm, x.shape())?)
}

impl SpectralNorm {
    /// u starts as a normalised N(0, I) draw, as in torch.
    pub fn new(gpu: &Gpu, outputs: usize, key: RandomKey) -> Result<Self> {
        let _no_grad = no_grad();
        let u = Var::constant(gpu, normal(gpu, &[1, outputs], key, 0.0, 1.0)?);
        Ok(Self {
            u: copy(gpu, normalized(&u)?.value())?,
        })
    }

    /// W / σ(W). In training, one power iteration first updates u.
    pub fn normalize(&self, weight: &Var, training: bool) -> Result<Var> {
        let shape = weight.shape().to_vec();
        let w = reshape(weight, &[shape[0], weight.value().len() / shape[0]])?;
        let (u, v) = {
            let _no_grad = no_grad();
            let gpu = weight.gpu();
            let u = Var::constant(gpu, self.u.clone());
            let w_const = w.detach();
            let v = normalized(&matmul(&u, &w_const, false, false)?)?;
            let u = if training {
                let next = normalized(&matmul(&v, &w_const, false, true)?)?;
                crate::gpu::kernels::fill::copy_range(
                    gpu,
                    next.value(),
                    0,
                    &self.u,
                    0,
                    self.u.len(),
                )?;
                next
            } else {
                u
            };
            (u.detach(), v.detach())
        };
        let sigma = sum_all(&mul(&matmul(&u, &w, false, false)?, &v)?)?;
        reshape(&div(&w, &broadcast_scalar(&sigma, w.shape())?)?, &shape)
    }
}
