//! Twin of `shaders/penalty.wgsl`: the gradient penalty's tail from the
//! gradients themselves (rows of `row_len`), in f64.

/// λ/B · Σ_i (√(Σ_j g_ij² + ε) − 1)².
pub fn penalty(g: &[f64], row_len: usize, lambda: f64, eps: f64) -> f64 {
    let rows = g.len() / row_len;
    g.chunks(row_len)
        .map(|r| ((r.iter().map(|v| v * v).sum::<f64>() + eps).sqrt() - 1.0).powi(2))
        .sum::<f64>()
        * lambda
        / rows as f64
}

/// ∂penalty/∂g times the upstream scalar `up`.
pub fn penalty_grad(g: &[f64], row_len: usize, lambda: f64, eps: f64, up: f64) -> Vec<f64> {
    let rows = g.len() / row_len;
    g.chunks(row_len)
        .flat_map(|r| {
            let n = (r.iter().map(|v| v * v).sum::<f64>() + eps).sqrt();
            let coef = up * 2.0 * lambda / rows as f64 * (n - 1.0) / n;
            r.iter().map(move |v| coef * v)
        })
        .collect()
}
