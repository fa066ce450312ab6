//! The gradient penalty's tail, λ·mean((‖g_i‖ − 1)²), as one op: a sum of
//! squares per row and one kernel forward, one kernel backward
//! (`penalty.wgsl`) instead of seven elementwise ops and their gradients.

use super::first_order;
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::penalty::{penalty_backward_into, penalty_forward_into};
use crate::gpu::kernels::reduce::sum_squares_rows;

/// λ/B · Σ_i (√(‖g_i‖² + eps) − 1)² over the B rows of `g` (a row is one
/// sample's gradient, every non-batch dimension flattened). Its gradient
/// with respect to g is exact; that gradient is not differentiable again
/// (the penalty is a loss: nothing needs its second derivative).
pub fn penalty(g: &Var, lambda: f32, eps: f32) -> Result<Var> {
    let gpu = g.gpu().clone();
    let sq = sum_squares_rows(&gpu, g.value())?;
    let value = gpu.empty(&[1])?;
    penalty_forward_into(&gpu, g.value(), &sq, lambda, eps, &value)?;
    Ok(Var::from_op(
        "penalty",
        value,
        &[g],
        Box::new(move |up, inputs, _, _| {
            let g = &inputs[0];
            let out = gpu.empty(g.shape())?;
            penalty_backward_into(&gpu, g.value(), &sq, up.value(), lambda, eps, &out)?;
            Ok(vec![Some(first_order("penalty_grad", out, &[g, up]))])
        }),
    ))
}
