//! Batch normalisation in training mode as one op: two kernels forward
//! (statistics, normalise) and two backward (`norm.wgsl`). Its gradients
//! are exact and first-order only (see `first_order`).

use super::{first_order, when};
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::Tensor;
use crate::gpu::kernels::norm::{
    batch_norm_apply_into, batch_norm_grad_input_into, batch_norm_grad_params_into,
    batch_norm_stats,
};

/// γ·(x − μ)/√(σ² + eps) + β per channel of x [B, C, H, W], with the batch's
/// mean and biased variance; `running` (mean, var) moves towards them by
/// `momentum` (unbiased variance), as torch.nn.BatchNorm2d in training.
pub fn batch_norm_train(
    x: &Var,
    gamma: &Var,
    beta: &Var,
    running: (&Tensor, &Tensor),
    momentum: f32,
    eps: f32,
) -> Result<Var> {
    let gpu = x.gpu().clone();
    let stats = batch_norm_stats(&gpu, x.value(), running, momentum, eps)?;
    let y = gpu.empty(x.shape())?;
    batch_norm_apply_into(&gpu, x.value(), &stats, gamma.value(), beta.value(), &y)?;
    Ok(Var::from_op(
        "batch_norm",
        y,
        &[x, gamma, beta],
        Box::new(move |dy, inputs, _, needs| {
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
