//! `gpugan sample` and `gpugan interpolate` from checkpoints made here, in
//! a second process: PNGs of the right size; latent paths and truncation.

use std::path::{Path, PathBuf};
use std::process::Command;

use gpugan::train::generate::{PathMode, latents, path_point};
use gpugan::train::{DataSpec, TrainConfig, Trainer};

use crate::checkpoint::toy;
use crate::common::{gpu, temp_dir};

fn checkpoint_of(config: TrainConfig, name: &str) -> PathBuf {
    let dir = temp_dir(&format!("gen-{name}"));
    let mut t = Trainer::new(gpu(), config).unwrap();
    t.iteration().unwrap();
    let path = dir.join("model.safetensors");
    t.save_checkpoint(&path).unwrap();
    path
}

fn gpugan(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_gpugan"))
        .args(args)
        .output()
        .expect("run gpugan");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn png_size(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap()
}

#[test]
fn sample_and_interpolate_images_from_a_checkpoint() {
    let config = TrainConfig {
        g_width: 4,
        d_width: 4,
        batch_size: 4,
        n_critic: 1,
        ..TrainConfig::images_cpu(DataSpec::Embedded)
    };
    let ckpt = checkpoint_of(config, "images");
    let dir = ckpt.parent().unwrap();
    let grid = dir.join("grid.png");
    let c = ckpt.to_str().unwrap();
    gpugan(&[
        "sample",
        "--checkpoint",
        c,
        "--n",
        "16",
        "--truncation",
        "1.5",
        "--out",
        grid.to_str().unwrap(),
    ]);
    // 4×4 images of 28 px with a 2 px gutter around each: 4·30 + 2.
    assert_eq!(png_size(&grid), (122, 122));
    let strip = dir.join("strip.png");
    gpugan(&[
        "interpolate",
        "--checkpoint",
        c,
        "--steps",
        "5",
        "--rows",
        "3",
        "--mode",
        "linear",
        "--out",
        strip.to_str().unwrap(),
    ]);
    assert_eq!(png_size(&strip), (5 * 30 + 2, 3 * 30 + 2));
}

#[test]
fn sample_toy_checkpoint_as_scatter() {
    let ckpt = checkpoint_of(toy(16), "toy");
    let out = ckpt.with_file_name("toy.png");
    gpugan(&[
        "sample",
        "--checkpoint",
        ckpt.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(png_size(&out), (512, 512));
}

#[test]
fn latent_paths_and_truncation() {
    let a = [1.0f32, 0.0, 0.0];
    let b = [0.0f32, 2.0, 0.0];
    for mode in [PathMode::Linear, PathMode::Slerp] {
        assert_eq!(path_point(&a, &b, 0.0, mode), a);
        let end = path_point(&a, &b, 1.0, mode);
        assert!(
            end.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5),
            "{mode:?}: {end:?}"
        );
    }
    // Halfway along the great circle between orthogonal vectors of norms 1
    // and 2: equal weights sin(π/4)/sin(π/2) on each.
    let mid = path_point(&a, &b, 0.5, PathMode::Slerp);
    let w = std::f32::consts::FRAC_1_SQRT_2;
    assert!(
        (mid[0] - w).abs() < 1e-5 && (mid[1] - 2.0 * w).abs() < 1e-5,
        "{mid:?}"
    );
    assert_eq!(path_point(&a, &b, 0.5, PathMode::Linear), [0.5, 1.0, 0.0]);

    let z = latents(gpu(), 64, 32, 5, Some(0.5)).unwrap();
    assert!(z.iter().all(|v| v.abs() <= 0.5));
    let spread = z.iter().filter(|v| v.abs() > 0.25).count();
    assert!(
        spread > 2048 / 4,
        "truncated draws should still fill ±t: {spread}"
    );
    assert_eq!(
        latents(gpu(), 8, 4, 5, None).unwrap(),
        latents(gpu(), 8, 4, 5, None).unwrap()
    );
}
