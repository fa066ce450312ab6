//! Batch normalisation in training mode as one op: two kernels forward
//! (statistics, normalise) and two backward (`norm.wgsl`). Its gradients
//! are exact and first-order only (see `first_order`).

use super::elementwise::{activate, activation_grad, fusable};
use super::{first_order, when};
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::Tensor;
use crate::gpu::kernels::matmul::Activation;
use crate::gpu::kernels::norm::{
    batch_norm_apply_into, batch_norm_grad_input_into, batch_norm_grad_params_into,
    batch_norm_stats,
};

/// act(γ·(x − μ)/√(σ² + eps) + β) per channel of x [B, C, H, W], with the
/// batch's mean and biased variance; `running` (mean, var) moves towards
/// them by `momentum` (unbiased variance), as torch.nn.BatchNorm2d in
/// training. The activation is applied in the normalising pass (one pass
/// over the activations less) and differentiated from the output, as the
/// matmul and conv epilogues do (`fusable`).
pub fn batch_norm_train(
    x: &Var,
    (gamma, beta): (&Var, &Var),
    running: (&Tensor, &Tensor),
    momentum: f32,
    eps: f32,
    act: Activation,
) -> Result<Var> {
    if !fusable(act) {
        let y = batch_norm_train(x, (gamma, beta), running, momentum, eps, Activation::None)?;
        return activate(&y, act);
    }
    let gpu = x.gpu().clone();
    let stats = batch_norm_stats(&gpu, x.value(), running, momentum, eps)?;
    let y = gpu.empty(x.shape())?;
    let affine = (gamma.value(), beta.value());
    batch_norm_apply_into(&gpu, x.value(), &stats, affine, act, &y)?;
    Ok(Var::from_op(
        if act == Activation::None {
            "batch_norm"
        } else {
            "batch_norm_act"
        },
        y,
        &[x, gamma, beta],
        Box::new(move |dy, inputs, out, needs| {
            let dy = &activation_grad(act, out, dy)?;
            let (x, gamma) = (&inputs[0], &inputs[1]);
            let c = gamma.shape()[0];
            let (dbeta, dgamma) = (gpu.empty(&[c])?, gpu.empty(&[c])?);
            batch_norm_grad_params_into(&gpu, x.value(), &stats, dy.value(), &dbeta, &dgamma)?;
            let dx = when(needs[0], || {
                let dx = gpu.empty(x.shape())?;
                let sums = (&dbeta, &dgamma);
                batch_norm_grad_input_into(
                    &gpu,
                    x.value(),
                    &stats,
                    gamma.value(),
                    dy.value(),
                    sums,
                    &dx,
                )?;
                Ok(first_order("batch_norm_grad", dx, &[x, gamma, dy]))
            })?;
            Ok(vec![
                dx,
                needs[1].then(|| first_order("batch_norm_grad", dgamma, &[x, dy])),
                needs[2].then(|| first_order("batch_norm_grad", dbeta, &[dy])),
            ])
        }),
    ))
}
