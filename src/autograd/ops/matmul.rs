//! C = op(A)·op(B); both gradients are matmuls again, so they differentiate.

use super::elementwise::{activate, activation_grad, fusable};
use super::when;
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::matmul::{Activation, MatmulSpec, matmul as matmul_kernel};

/// `op(a)·op(b)` for 2-D operands.
pub fn matmul(a: &Var, b: &Var, trans_a: bool, trans_b: bool) -> Result<Var> {
    let spec = MatmulSpec {
        trans_a,
        trans_b,
        ..MatmulSpec::default()
    };
    let value = matmul_kernel(a.gpu(), a.value(), b.value(), None, &spec)?;
    Ok(Var::from_op(
        "matmul",
        value,
        &[a, b],
        Box::new(move |g, inputs, _, needs| {
            let (a, b) = (&inputs[0], &inputs[1]);
            // C = op(A)·op(B):  dop(A) = dC·op(B)ᵀ,  dop(B) = op(A)ᵀ·dC,
            // each written for the stored (possibly transposed) operand.
            let da = when(needs[0], || {
                if trans_a {
                    matmul(b, g, trans_b, true)
                } else {
                    matmul(g, b, false, !trans_b)
                }
            })?;
            let db = when(needs[1], || {
                if trans_b {
                    matmul(g, a, true, trans_a)
                } else {
                    matmul(a, g, !trans_a, false)
                }
            })?;
            Ok(vec![da, db])
        }),
    ))
}

/// x·Wᵀ + b (a Linear layer, W stored [out, in] as in PyTorch) in one
/// dispatch: the bias rides in the matmul epilogue instead of a tile and an
/// add. Gradients: dx = g·W, dW = gᵀ·x, db = Σ_rows g, all differentiable.
pub fn linear(x: &Var, w: &Var, b: &Var) -> Result<Var> {
    linear_act(x, w, b, Activation::None)
}

/// act(x·Wᵀ + b) in one dispatch: the activation also rides in the
/// epilogue (on lavapipe's kernel, not tanh or sigmoid: a second pass).
/// Backward: g·act' from the output (`activation_grad`), then `linear`'s
/// gradients.
pub fn linear_act(x: &Var, w: &Var, b: &Var, act: Activation) -> Result<Var> {
    if !fusable(act) {
        return activate(&linear(x, w, b)?, act);
    }
    let spec = MatmulSpec {
        trans_b: true,
        activation: act,
        ..MatmulSpec::default()
    };
    let value = matmul_kernel(x.gpu(), x.value(), w.value(), Some(b.value()), &spec)?;
    Ok(Var::from_op(
        if act == Activation::None {
            "linear"
        } else {
            "linear_act"
        },
        value,
        &[x, w, b],
        Box::new(move |g, inputs, out, needs| {
            let (x, w) = (&inputs[0], &inputs[1]);
            let g = &activation_grad(act, out, g)?;
            Ok(vec![
                when(needs[0], || matmul(g, w, false, false))?,
                when(needs[1], || matmul(g, x, true, false))?,
                when(needs[2], || super::broadcast::sum_rows(g))?,
            ])
        }),
    ))
}
