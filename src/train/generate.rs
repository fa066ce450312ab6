//! Generating from a checkpoint: `gpugan sample` (a grid of samples, with
//! optional truncation) and `gpugan interpolate` (rows of latent paths,
//! linear or spherical), batch norm in eval mode.

use std::path::Path;

use super::checkpoint::Checkpoint;
use super::config::TrainConfig;
use super::plot::{image_grid_png, scatter_png};
use super::trainer::{Trainer, networks, onehot_rows};
use crate::autograd::{Var, no_grad};
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::gpu::kernels::random::{RandomKey, normal};
use crate::models::Network;

/// Stream tag of the latents drawn here (apart from training's draws).
const TAG_SAMPLE: u8 = 0xE0;
/// Redraw rounds for truncation; each keeps about erf(t/√2) of what it redraws.
const TRUNCATION_ROUNDS: u64 = 64;

/// Path between two latent vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PathMode {
    Linear,
    /// Spherical: along the great circle, keeping the norm typical of N(0, I).
    Slerp,
}

/// A trained generator read from a checkpoint.
pub struct Loaded {
    pub config: TrainConfig,
    pub generator: Box<dyn Network>,
    /// [C, H, W] of an image, None for 2-D toy points.
    pub image_shape: Option<[usize; 3]>,
    /// Classes of a conditional generator (0: unconditional).
    pub classes: usize,
}

fn invalid(reason: String) -> Error {
    Error::Invalid {
        op: "generate",
        reason,
    }
}

/// The generator of the checkpoint at `path`, weights and batch-norm
/// statistics loaded.
pub fn load_generator(gpu: &Gpu, path: &Path) -> Result<Loaded> {
    let ckpt = Checkpoint::read(path)?;
    let config = ckpt.config()?;
    let image_shape = match ckpt.metadata.get("image_shape") {
        None => None,
        Some(s) => {
            let dims: Vec<usize> = s.split(',').filter_map(|d| d.parse().ok()).collect();
            let dims: [usize; 3] = dims.try_into().map_err(|_| Error::Data {
                path: path.display().to_string(),
                reason: format!("metadata image_shape '{s}' is not C,H,W"),
            })?;
            Some(dims)
        }
    };
    let classes = ckpt.meta_u64("classes")? as usize;
    let (generator, _) = networks(gpu, &config, image_shape, classes)?;
    let names = generator.parameter_names();
    let mut tensors: Vec<_> = names
        .iter()
        .zip(generator.parameters())
        .map(|(n, p)| (format!("generator.{n}"), p.value().clone()))
        .collect();
    tensors.extend(
        generator
            .buffers()
            .into_iter()
            .map(|(n, t)| (format!("generator.{n}"), t)),
    );
    for (name, t) in &tensors {
        gpu.write(t, &ckpt.values(name, t.shape())?)?;
    }
    Ok(Loaded {
        config,
        generator,
        image_shape,
        classes,
    })
}

/// `n` latent vectors of `z_dim` from N(0, I) keyed by `seed`; with a
/// truncation t, entries beyond ±t are redrawn (the truncation trick).
pub fn latents(
    gpu: &Gpu,
    n: usize,
    z_dim: usize,
    seed: u64,
    truncation: Option<f32>,
) -> Result<Vec<f32>> {
    let key = |round: u64| {
        RandomKey {
            seed,
            stream: round,
        }
        .substream(TAG_SAMPLE)
    };
    let mut z = gpu.read(&normal(gpu, &[n, z_dim], key(0), 0.0, 1.0)?)?;
    let Some(t) = truncation else {
        return Ok(z);
    };
    if !(t.is_finite() && t > 0.0) {
        return Err(invalid(format!("--truncation must be > 0, got {t}")));
    }
    for round in 1..=TRUNCATION_ROUNDS {
        if z.iter().all(|v| v.abs() <= t) {
            return Ok(z);
        }
        let fresh = gpu.read(&normal(gpu, &[n, z_dim], key(round), 0.0, 1.0)?)?;
        for (v, f) in z.iter_mut().zip(fresh) {
            if v.abs() > t {
                *v = f;
            }
        }
    }
    // What is still out after the rounds (t tiny) is clamped.
    Ok(z.into_iter().map(|v| v.clamp(-t, t)).collect())
}

/// Points on the path from `a` to `b` at fraction `s` in [0, 1].
pub fn path_point(a: &[f32], b: &[f32], s: f32, mode: PathMode) -> Vec<f32> {
    let lerp = |wa: f32, wb: f32| a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect();
    match mode {
        PathMode::Linear => lerp(1.0 - s, s),
        PathMode::Slerp => {
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let cos = (dot / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)).clamp(-1.0, 1.0);
            let omega = cos.acos();
            if omega.sin().abs() < 1e-6 {
                return lerp(1.0 - s, s); // parallel: slerp degenerates to lerp
            }
            let k = 1.0 / omega.sin();
            lerp(((1.0 - s) * omega).sin() * k, (s * omega).sin() * k)
        }
    }
}

impl Loaded {
    /// Generator outputs for latents `z` ([n, z_dim] flattened), eval mode;
    /// a conditional generator takes each sample's class from `classes`.
    pub fn generate(&self, gpu: &Gpu, z: &[f32], classes: &[usize]) -> Result<Vec<f32>> {
        let _no_grad = no_grad();
        let n = z.len() / self.config.z_dim;
        let z = Var::constant(gpu, gpu.upload(z, &[n, self.config.z_dim])?);
        let y = (self.classes > 0)
            .then(|| onehot_rows(gpu, classes, self.classes))
            .transpose()?;
        let input = Trainer::generator_input(&z, y.as_ref())?;
        self.generator.forward(&input, false)?.to_vec()
    }

    /// Class of each of `n` samples laid out in rows of `row`: `class` for
    /// all, or (conditional, none given) one class per row, cycling.
    fn classes_for(&self, n: usize, row: usize, class: Option<usize>) -> Result<Vec<usize>> {
        match (class, self.classes) {
            (Some(k), 0) => Err(invalid(format!(
                "--class {k}: this checkpoint's generator is not conditional"
            ))),
            (Some(k), c) if k >= c => Err(invalid(format!(
                "--class {k}: the generator knows classes 0..{}",
                c - 1
            ))),
            (Some(k), _) => Ok(vec![k; n]),
            (None, 0) => Ok(Vec::new()),
            (None, c) => Ok((0..n).map(|i| (i / row.max(1)) % c).collect()),
        }
    }

    /// A PNG of `samples` (n generated items) in `cols` columns: an image
    /// grid, or for toy data a scatter plot.
    pub fn png(&self, samples: &[f32], cols: usize) -> Result<Vec<u8>> {
        match self.image_shape {
            Some([c, h, w]) => {
                image_grid_png(samples, [samples.len() / (c * h * w), c, h, w], cols)
            }
            None => scatter_png(&[], samples),
        }
    }
}

/// `gpugan sample`: `n` samples in a near-square grid. A conditional
/// generator draws `class` only, or without it one class per row.
pub fn sample_png(
    gpu: &Gpu,
    checkpoint: &Path,
    n: usize,
    seed: u64,
    truncation: Option<f32>,
    class: Option<usize>,
) -> Result<Vec<u8>> {
    if n == 0 {
        return Err(invalid("--n must be at least 1".into()));
    }
    let model = load_generator(gpu, checkpoint)?;
    let cols = (n as f64).sqrt().ceil() as usize;
    let classes = model.classes_for(n, cols, class)?;
    let z = latents(gpu, n, model.config.z_dim, seed, truncation)?;
    let samples = model.generate(gpu, &z, &classes)?;
    model.png(&samples, cols)
}

/// `gpugan interpolate`: `rows` random latent pairs, `steps` points from
/// one to the other per row.
pub fn interpolate_png(
    gpu: &Gpu,
    checkpoint: &Path,
    rows: usize,
    steps: usize,
    mode: PathMode,
    seed: u64,
) -> Result<Vec<u8>> {
    if rows == 0 || steps < 2 {
        return Err(invalid(format!(
            "--rows must be ≥ 1 and --steps ≥ 2, got {rows} and {steps}"
        )));
    }
    let model = load_generator(gpu, checkpoint)?;
    let d = model.config.z_dim;
    let ends = latents(gpu, 2 * rows, d, seed, None)?;
    let mut z = Vec::with_capacity(rows * steps * d);
    for pair in ends.chunks(2 * d) {
        let (a, b) = pair.split_at(d);
        for i in 0..steps {
            z.extend(path_point(a, b, i as f32 / (steps - 1) as f32, mode));
        }
    }
    let classes = model.classes_for(rows * steps, steps, None)?;
    let samples = model.generate(gpu, &z, &classes)?;
    model.png(&samples, steps)
}
