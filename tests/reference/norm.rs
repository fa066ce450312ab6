//! Twins of BatchNorm2d (training mode) and LayerNorm, in f64.

/// y = γ[c]·(x − μ_c)/√(σ²_c + eps) + β[c] with biased batch statistics over
/// (B, H, W); also returns (μ, σ²) per channel.
pub fn batch_norm2d(
    x: &[f64],
    shape: [usize; 4],
    gamma: &[f64],
    beta: &[f64],
    eps: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [b, c, h, w] = shape;
    let plane = h * w;
    let n = (b * plane) as f64;
    let idx = |bi: usize, ci: usize, p: usize| (bi * c + ci) * plane + p;
    let mut mean = vec![0.0; c];
    let mut var = vec![0.0; c];
    for ci in 0..c {
        mean[ci] = (0..b)
            .flat_map(|bi| (0..plane).map(move |p| (bi, p)))
            .map(|(bi, p)| x[idx(bi, ci, p)])
            .sum::<f64>()
            / n;
        var[ci] = (0..b)
            .flat_map(|bi| (0..plane).map(move |p| (bi, p)))
            .map(|(bi, p)| (x[idx(bi, ci, p)] - mean[ci]).powi(2))
            .sum::<f64>()
            / n;
    }
    let y = (0..x.len())
        .map(|i| {
            let ci = (i / plane) % c;
            gamma[ci] * (x[i] - mean[ci]) / (var[ci] + eps).sqrt() + beta[ci]
        })
        .collect();
    (y, mean, var)
}

/// Per-sample normalisation over every non-batch element, elementwise affine.
pub fn layer_norm(x: &[f64], batch: usize, gamma: &[f64], beta: &[f64], eps: f64) -> Vec<f64> {
    let d = x.len() / batch;
    x.chunks(d)
        .flat_map(|row| {
            let mean = row.iter().sum::<f64>() / d as f64;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d as f64;
            row.iter()
                .enumerate()
                .map(move |(j, v)| gamma[j] * (v - mean) / (var + eps).sqrt() + beta[j])
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Gradients of `batch_norm2d` (training mode) for the upstream gradient
/// dy: (dx, dγ, dβ).
pub fn batch_norm2d_backward(
    x: &[f64],
    shape: [usize; 4],
    gamma: &[f64],
    dy: &[f64],
    eps: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [_, c, h, w] = shape;
    let plane = h * w;
    let zeros = vec![0.0; c];
    let (_, mean, var) = batch_norm2d(x, shape, &zeros, &zeros, eps);
    let n = (x.len() / c) as f64;
    let channel = |i: usize| (i / plane) % c;
    let xhat = |i: usize| (x[i] - mean[channel(i)]) / (var[channel(i)] + eps).sqrt();
    let (mut dgamma, mut dbeta) = (vec![0.0; c], vec![0.0; c]);
    for i in 0..x.len() {
        dbeta[channel(i)] += dy[i];
        dgamma[channel(i)] += dy[i] * xhat(i);
    }
    let dx = (0..x.len())
        .map(|i| {
            let ci = channel(i);
            gamma[ci] / (var[ci] + eps).sqrt() / n * (n * dy[i] - dbeta[ci] - xhat(i) * dgamma[ci])
        })
        .collect();
    (dx, dgamma, dbeta)
}
