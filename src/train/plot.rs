//! PNG plots: toy scatter plots, image sample grids, loss curves.

use crate::error::{Error, Result};

const SIZE: u32 = 512;
/// The toy data sets lie within ±2 in both coordinates.
const EXTENT: f32 = 2.5;

fn plot_points(img: &mut image::RgbImage, points: &[f32], colour: [u8; 3]) {
    for p in points.chunks(2) {
        let to_px = |v: f32| ((v / EXTENT + 1.0) * 0.5 * SIZE as f32) as i64;
        let (cx, cy) = (to_px(p[0]), SIZE as i64 - 1 - to_px(p[1]));
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (x, y) = (cx + dx, cy + dy);
                if (0..SIZE as i64).contains(&x) && (0..SIZE as i64).contains(&y) {
                    img.put_pixel(x as u32, y as u32, image::Rgb(colour));
                }
            }
        }
    }
}

/// PNG bytes: light grid lines at integer coordinates, real then generated points.
pub fn scatter_png(real: &[f32], fake: &[f32]) -> Result<Vec<u8>> {
    let mut img = image::RgbImage::from_pixel(SIZE, SIZE, image::Rgb([255, 255, 255]));
    for k in -2..=2 {
        let px = ((k as f32 / EXTENT + 1.0) * 0.5 * SIZE as f32) as u32;
        for i in 0..SIZE {
            img.put_pixel(px.min(SIZE - 1), i, image::Rgb([225, 225, 225]));
            img.put_pixel(i, px.min(SIZE - 1), image::Rgb([225, 225, 225]));
        }
    }
    plot_points(&mut img, real, [70, 110, 200]);
    plot_points(&mut img, fake, [240, 140, 30]);
    encode(&img)
}

fn encode(img: &image::RgbImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| Error::Invalid {
        op: "plot",
        reason: e.to_string(),
    })?;
    Ok(bytes)
}

/// A grid of images ([n, C, H, W] in [−1, 1], C = 1 or 3) with `cols`
/// columns and a 2-pixel grey gutter.
pub fn image_grid_png(samples: &[f32], shape: [usize; 4], cols: usize) -> Result<Vec<u8>> {
    let [n, c, h, w] = shape;
    let rows = n.div_ceil(cols);
    let gap = 2;
    let (width, height) = (
        (cols * (w + gap) + gap) as u32,
        (rows * (h + gap) + gap) as u32,
    );
    let mut img = image::RgbImage::from_pixel(width, height, image::Rgb([90, 90, 90]));
    let to_byte = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
    for k in 0..n {
        let (x0, y0) = ((k % cols) * (w + gap) + gap, (k / cols) * (h + gap) + gap);
        for y in 0..h {
            for x in 0..w {
                let at = |ch: usize| samples[((k * c + ch.min(c - 1)) * h + y) * w + x];
                let px = image::Rgb([to_byte(at(0)), to_byte(at(1)), to_byte(at(2))]);
                img.put_pixel((x0 + x) as u32, (y0 + y) as u32, px);
            }
        }
    }
    encode(&img)
}

/// Loss curves: critic loss (blue), generator loss (orange), Wasserstein
/// estimate (green) against the step, each scaled to the plot's shared range.
pub fn loss_curve_png(history: &[(u64, [f32; 3])]) -> Result<Vec<u8>> {
    const W: u32 = 640;
    const H: u32 = 320;
    let mut img = image::RgbImage::from_pixel(W, H, image::Rgb([255, 255, 255]));
    let finite = history
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if history.len() < 2 || lo >= hi {
        return encode(&img);
    }
    let last_step = history.last().map_or(1, |h| h.0).max(1) as f32;
    let to_px = |step: u64, v: f32| {
        let x = (step as f32 / last_step * (W - 1) as f32) as i64;
        let y = ((1.0 - (v - lo) / (hi - lo)) * (H - 1) as f32) as i64;
        (x, y)
    };
    if lo < 0.0 && hi > 0.0 {
        let (_, zero) = to_px(0, 0.0);
        for x in 0..W {
            img.put_pixel(x, zero as u32, image::Rgb([200, 200, 200]));
        }
    }
    let colours = [[70, 110, 200], [240, 140, 30], [40, 160, 80]];
    for (series, colour) in colours.iter().enumerate() {
        for pair in history.windows(2) {
            let (x0, y0) = to_px(pair[0].0, pair[0].1[series]);
            let (x1, y1) = to_px(pair[1].0, pair[1].1[series]);
            let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
            for t in 0..=steps {
                let x = x0 + (x1 - x0) * t / steps;
                let y = y0 + (y1 - y0) * t / steps;
                if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
                    img.put_pixel(x as u32, y as u32, image::Rgb(*colour));
                }
            }
        }
    }
    encode(&img)
}
