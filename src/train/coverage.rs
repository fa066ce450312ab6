//! Mode coverage of the toy mixtures: each sample goes to its nearest mode;
//! it is high quality within 3σ of it; a mode is covered when it holds at
//! least 1% of the samples as high-quality ones.

use crate::gpu::kernels::toy::ToyKind;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coverage {
    pub modes_covered: usize,
    pub modes: usize,
    pub high_quality: f64,
}

/// Mode centres and σ in data units (after the scaling in toy.wgsl).
pub fn modes(kind: ToyKind) -> Option<(Vec<[f64; 2]>, f64)> {
    match kind {
        ToyKind::EightGaussians => {
            let s = std::f64::consts::SQRT_2;
            let centres = (0..8)
                .map(|k| {
                    let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
                    [2.0 * a.cos() / s, 2.0 * a.sin() / s]
                })
                .collect();
            Some((centres, 0.02 / s))
        }
        ToyKind::TwentyFiveGaussians => {
            let s = 2.0 * std::f64::consts::SQRT_2;
            let centres = (0..25)
                .map(|k| {
                    [
                        2.0 * (f64::from(k / 5) - 2.0) / s,
                        2.0 * (f64::from(k % 5) - 2.0) / s,
                    ]
                })
                .collect();
            Some((centres, 0.05 / s))
        }
        ToyKind::SwissRoll => None,
    }
}

/// Coverage of `points` (x, y pairs); None for a distribution without modes.
pub fn mode_coverage(kind: ToyKind, points: &[f32]) -> Option<Coverage> {
    let (centres, sigma) = modes(kind)?;
    let mut hits = vec![0usize; centres.len()];
    let n = points.len() / 2;
    for p in points.chunks(2) {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        let (nearest, dist) = centres
            .iter()
            .enumerate()
            .map(|(i, c)| (i, ((x - c[0]).powi(2) + (y - c[1]).powi(2)).sqrt()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("modes");
        if dist <= 3.0 * sigma {
            hits[nearest] += 1;
        }
    }
    let high: usize = hits.iter().sum();
    Some(Coverage {
        modes_covered: hits.iter().filter(|&&h| h * 100 >= n).count(),
        modes: centres.len(),
        high_quality: high as f64 / n as f64,
    })
}
