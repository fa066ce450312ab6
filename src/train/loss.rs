//! GAN losses and the WGAN-GP gradient penalty, as autograd graphs.

use crate::autograd::ops::{
    mean_all, mul_rows, penalty, relu, scale, shift, softplus, sub, sum_all,
};
use crate::autograd::{Var, grad};
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LossKind {
    /// Non-saturating GAN: BCE with logits.
    Gan,
    /// Wasserstein GAN with weight clipping.
    Wgan,
    /// Wasserstein GAN with gradient penalty.
    WganGp,
    /// Hinge loss.
    Hinge,
}

impl LossKind {
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Gan => "gan",
            LossKind::Wgan => "wgan",
            LossKind::WganGp => "wgan-gp",
            LossKind::Hinge => "hinge",
        }
    }
}

/// The critic's loss (minimised) from its outputs on real and fake batches.
pub fn critic_loss(kind: LossKind, d_real: &Var, d_fake: &Var) -> Result<Var> {
    match kind {
        // −log σ(D(x)) − log(1 − σ(D(G(z)))) = softplus(−D(x)) + softplus(D(G(z)))
        LossKind::Gan => {
            let real = mean_all(&softplus(&scale(d_real, -1.0)?)?)?;
            let fake = mean_all(&softplus(d_fake)?)?;
            crate::autograd::ops::add(&real, &fake)
        }
        // D maximises E[D(x)] − E[D(G(z))].
        LossKind::Wgan | LossKind::WganGp => sub(&mean_all(d_fake)?, &mean_all(d_real)?),
        // E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]
        LossKind::Hinge => {
            let real = mean_all(&relu(&shift(&scale(d_real, -1.0)?, 1.0)?)?)?;
            let fake = mean_all(&relu(&shift(d_fake, 1.0)?)?)?;
            crate::autograd::ops::add(&real, &fake)
        }
    }
}

/// The generator's loss (minimised) from the critic's output on its samples.
pub fn generator_loss(kind: LossKind, d_fake: &Var) -> Result<Var> {
    match kind {
        // Non-saturating: −log σ(D(G(z))) = softplus(−D(G(z))).
        LossKind::Gan => mean_all(&softplus(&scale(d_fake, -1.0)?)?),
        LossKind::Wgan | LossKind::WganGp | LossKind::Hinge => scale(&mean_all(d_fake)?, -1.0),
    }
}

/// Added under the square root of the gradient norm: keeps its derivative
/// finite should a gradient vanish exactly (PyTorch's norm returns a
/// subgradient there instead).
pub const NORM_EPS: f32 = 1e-12;

/// x̂ = ε·x + (1 − ε)·x_fake per sample; ε [B] ~ U(0, 1). No history.
pub fn interpolate(real: &Var, fake: &Var, eps: &Var) -> Result<Var> {
    let _no_grad = crate::autograd::no_grad();
    let diff = sub(real, fake)?;
    crate::autograd::ops::add(fake, &mul_rows(&diff, eps)?)
}

/// λ·E[(‖∇x̂ D(x̂)‖₂ − 1)²] with the norm per sample over all non-batch
/// dimensions. `critic` maps an input var to D's output; the gradient is
/// taken with `create_graph`, so the penalty differentiates exactly with
/// respect to the critic's parameters.
pub fn gradient_penalty(
    x_hat: &Var,
    lambda: f32,
    critic: impl Fn(&Var) -> Result<Var>,
) -> Result<Var> {
    let x_hat = Var::input(x_hat.gpu(), x_hat.value().clone());
    let d = critic(&x_hat)?;
    let g = grad(&sum_all(&d)?, &[&x_hat], true)?.remove(0);
    penalty(&g, lambda, NORM_EPS)
}
