//! Spectral normalization: one power iteration (torch's order), σ, the
//! normalised weight, its gradient with u and v held constant, and the
//! largest singular value by a long power iteration.

fn matvec(w: &[f64], rows: usize, x: &[f64]) -> Vec<f64> {
    let cols = w.len() / rows;
    (0..rows)
        .map(|r| (0..cols).map(|c| w[r * cols + c] * x[c]).sum())
        .collect()
}

fn matvec_t(w: &[f64], rows: usize, y: &[f64]) -> Vec<f64> {
    let cols = w.len() / rows;
    (0..cols)
        .map(|c| (0..rows).map(|r| w[r * cols + c] * y[r]).sum())
        .collect()
}

fn normalized(x: &[f64]) -> Vec<f64> {
    let n = x.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
    x.iter().map(|v| v / n).collect()
}

/// One training step from u: (u', v, σ, W/σ) for W [rows, cols].
pub fn step(w: &[f64], rows: usize, u: &[f64]) -> (Vec<f64>, Vec<f64>, f64, Vec<f64>) {
    let v = normalized(&matvec_t(w, rows, u));
    let u2 = normalized(&matvec(w, rows, &v));
    let sigma: f64 = u2.iter().zip(matvec(w, rows, &v)).map(|(a, b)| a * b).sum();
    let w_sn = w.iter().map(|x| x / sigma).collect();
    (u2, v, sigma, w_sn)
}

/// ∂/∂W of Σ r ⊙ (W / σ), σ = uᵀ W v with u and v constant:
/// r / σ − (Σ r ⊙ W) / σ² · u vᵀ.
pub fn grad(w: &[f64], rows: usize, u: &[f64], v: &[f64], r: &[f64]) -> Vec<f64> {
    let cols = w.len() / rows;
    let sigma: f64 = u.iter().zip(matvec(w, rows, v)).map(|(a, b)| a * b).sum();
    let rw: f64 = r.iter().zip(w).map(|(a, b)| a * b).sum();
    (0..w.len())
        .map(|i| r[i] / sigma - rw / (sigma * sigma) * u[i / cols] * v[i % cols])
        .collect()
}

/// Largest singular value of W by power iteration on WᵀW, run to convergence.
pub fn largest_singular_value(w: &[f64], rows: usize) -> f64 {
    let cols = w.len() / rows;
    let mut v: Vec<f64> = (0..cols).map(|i| 1.0 + (i as f64 * 0.37).sin()).collect();
    let mut sigma = 0.0;
    for _ in 0..5000 {
        let wv = matvec(w, rows, &v);
        sigma = wv.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = normalized(&matvec_t(w, rows, &wv));
    }
    sigma
}
