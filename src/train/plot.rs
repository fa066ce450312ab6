//! Scatter plot of real (blue) and generated (orange) 2-D points as a PNG.

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
