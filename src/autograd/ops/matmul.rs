//! C = op(A)·op(B); both gradients are matmuls again, so they differentiate.

use super::when;
use crate::autograd::var::Var;
use crate::error::Result;
use crate::gpu::kernels::matmul::{MatmulSpec, matmul as matmul_kernel};

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
    let spec = MatmulSpec {
        trans_b: true,
        ..MatmulSpec::default()
    };
    let value = matmul_kernel(x.gpu(), x.value(), w.value(), Some(b.value()), &spec)?;
    Ok(Var::from_op(
        "linear",
        value,
        &[x, w, b],
        Box::new(|g, inputs, _, needs| {
            let (x, w) = (&inputs[0], &inputs[1]);
            Ok(vec![
                when(needs[0], || matmul(g, w, false, false))?,
                when(needs[1], || matmul(g, x, true, false))?,
                when(needs[2], || super::broadcast::sum_rows(g))?,
            ])
        }),
    ))
}
