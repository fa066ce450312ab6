//! Twin of `toy.wgsl`: the WGAN-GP paper's toy distributions from the same
//! uniform and normal draws.

use gpugan::gpu::kernels::toy::ToyKind;
use std::f64::consts::PI;

pub fn toy_sample(kind: ToyKind, u: &[f32], noise: &[f32]) -> Vec<f64> {
    let mut out = Vec::with_capacity(2 * u.len());
    for (i, &ui) in u.iter().enumerate() {
        let (ui, e0, e1) = (
            f64::from(ui),
            f64::from(noise[2 * i]),
            f64::from(noise[2 * i + 1]),
        );
        let (x, y) = match kind {
            ToyKind::EightGaussians => {
                let k = ((ui * 8.0) as usize).min(7) as f64;
                let a = k * PI / 4.0;
                (
                    (2.0 * a.cos() + 0.02 * e0) / 2f64.sqrt(),
                    (2.0 * a.sin() + 0.02 * e1) / 2f64.sqrt(),
                )
            }
            ToyKind::TwentyFiveGaussians => {
                let k = ((ui * 25.0) as usize).min(24);
                let (cx, cy) = (2.0 * ((k / 5) as f64 - 2.0), 2.0 * ((k % 5) as f64 - 2.0));
                let s = 2.0 * 2f64.sqrt();
                ((cx + 0.05 * e0) / s, (cy + 0.05 * e1) / s)
            }
            ToyKind::SwissRoll => {
                let t = 1.5 * PI * (1.0 + 2.0 * ui);
                (
                    (t * t.cos() + 0.25 * e0) / 7.5,
                    (t * t.sin() + 0.25 * e1) / 7.5,
                )
            }
        };
        out.extend([x, y]);
    }
    out
}
