//! Twins of the reductions in `reduce.wgsl`.

/// Sum over `axis` of a row-major tensor, times `scale`.
pub fn sum_axis(x: &[f32], shape: &[usize], axis: usize, scale: f64) -> Vec<f64> {
    let outer: usize = shape[..axis].iter().product();
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0.0; outer * inner];
    for o in 0..outer {
        for i in 0..inner {
            let s: f64 = (0..len)
                .map(|l| f64::from(x[(o * len + l) * inner + i]))
                .sum();
            out[o * inner + i] = scale * s;
        }
    }
    out
}

pub fn sum_all(x: &[f32], scale: f64) -> f64 {
    scale * x.iter().map(|&v| f64::from(v)).sum::<f64>()
}

/// Σ x[r, ..]² per row (first dimension).
pub fn sum_squares_rows(x: &[f32], rows: usize) -> Vec<f64> {
    let cols = x.len() / rows;
    (0..rows)
        .map(|r| {
            x[r * cols..(r + 1) * cols]
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum()
        })
        .collect()
}
