//! A training run on disk: the resolved config, `metrics.csv`, sample CSVs
//! and scatter plots, a progress line, and the final mode coverage.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::config::{DataSpec, TrainConfig};
use super::coverage::{Coverage, mode_coverage};
use super::plot::{image_grid_png, loss_curve_png, scatter_png};
use super::trainer::{Metrics, RealData, Trainer};
use crate::error::{Error, Result};
use crate::gpu::Gpu;

/// Samples drawn for the coverage metric and the plots.
pub const EVAL_SAMPLES: usize = 2000;

#[derive(Clone, Debug)]
pub struct Summary {
    pub steps: u64,
    pub seconds: f64,
    pub last: Metrics,
    pub coverage: Option<Coverage>,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Invalid {
        op: "run folder",
        reason: format!("{}: {e}", path.display()),
    }
}

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents).map_err(|e| io_error(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

struct RunFolder {
    dir: PathBuf,
    metrics: fs::File,
}

impl RunFolder {
    fn create(config: &TrainConfig) -> Result<Self> {
        let dir = config.out.clone();
        fs::create_dir_all(dir.join("samples")).map_err(|e| io_error(&dir, e))?;
        write_atomic(&dir.join("config.toml"), config.to_toml().as_bytes())?;
        let path = dir.join("metrics.csv");
        let mut metrics = fs::File::create(&path).map_err(|e| io_error(&path, e))?;
        writeln!(
            metrics,
            "step,d_loss,g_loss,wasserstein,penalty,iters_per_sec"
        )
        .map_err(|e| io_error(&path, e))?;
        Ok(Self { dir, metrics })
    }

    fn log(&mut self, step: u64, m: &Metrics, rate: f64) -> Result<()> {
        writeln!(
            self.metrics,
            "{step},{},{},{},{},{rate:.3}",
            m.d_loss, m.g_loss, m.wasserstein, m.penalty
        )
        .map_err(|e| io_error(&self.dir.join("metrics.csv"), e))
    }

    /// Toy data: generated points as CSV and a scatter plot over the real ones.
    fn toy_samples(&self, step: u64, real: &[f32], fake: &[f32]) -> Result<()> {
        let stem = self.dir.join("samples").join(format!("step_{step:06}"));
        let mut csv = String::from("x,y\n");
        for p in fake.chunks(2) {
            csv += &format!("{},{}\n", p[0], p[1]);
        }
        write_atomic(&stem.with_extension("csv"), csv.as_bytes())?;
        write_atomic(&stem.with_extension("png"), &scatter_png(real, fake)?)
    }

    /// Images: an 8×8 grid from the fixed latent vectors.
    fn image_grid(&self, step: u64, fake: &[f32], shape: [usize; 4]) -> Result<()> {
        let path = self.dir.join("samples").join(format!("step_{step:06}.png"));
        write_atomic(&path, &image_grid_png(fake, shape, GRID_COLS)?)
    }

    fn loss_curve(&self, history: &[(u64, [f32; 3])]) -> Result<()> {
        write_atomic(&self.dir.join("loss.png"), &loss_curve_png(history)?)
    }
}

/// Images in a sample grid, and its columns.
const GRID_IMAGES: usize = 64;
const GRID_COLS: usize = 8;

fn progress(step: u64, total: u64, rate: f64, m: &Metrics, tty: bool) {
    const WIDTH: u64 = 24;
    let filled = (step * WIDTH / total.max(1)) as usize;
    let bar = format!(
        "{}{}",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled)
    );
    let line = format!(
        "[{bar}] {step}/{total} {rate:.1} it/s | D {:.4} | G {:.4} | W {:.4} | GP {:.4}",
        m.d_loss, m.g_loss, m.wasserstein, m.penalty
    );
    if tty {
        eprint!("\r{line}");
        let _ = std::io::stderr().flush();
    } else {
        eprintln!("{line}");
    }
}

/// Writes the samples of `step`: a scatter plot (toy) or an image grid.
fn write_samples(
    trainer: &Trainer,
    folder: &RunFolder,
    step: u64,
    real: Option<&[f32]>,
) -> Result<()> {
    match (real, &trainer.data) {
        (Some(real), _) => folder.toy_samples(step, real, &trainer.fixed_samples(EVAL_SAMPLES)?),
        (None, RealData::Images(images)) => {
            let [c, h, w] = images.image_shape;
            folder.image_grid(
                step,
                &trainer.fixed_samples(GRID_IMAGES)?,
                [GRID_IMAGES, c, h, w],
            )
        }
        (None, RealData::Toy(_)) => unreachable!("toy runs always have real points"),
    }
}

/// Trains for `config.steps` generator iterations and writes the run folder.
pub fn train(gpu: &Gpu, config: TrainConfig) -> Result<Summary> {
    let mut trainer = Trainer::new(gpu, config.clone())?;
    let mut folder = RunFolder::create(&config)?;
    let real = trainer.fixed_real(EVAL_SAMPLES)?;
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut window = (Instant::now(), 0u64);
    let mut last = Metrics::default();
    let mut history = Vec::new();
    while trainer.step < config.steps {
        trainer.iteration()?;
        let step = trainer.step;
        if step % config.log_every == 0 || step == config.steps {
            last = trainer.metrics()?;
            let rate = (step - window.1) as f64 / window.0.elapsed().as_secs_f64();
            window = (Instant::now(), step);
            folder.log(step, &last, rate)?;
            history.push((step, [last.d_loss, last.g_loss, last.wasserstein]));
            folder.loss_curve(&history)?;
            progress(step, config.steps, rate, &last, tty);
            if ![last.d_loss, last.g_loss].iter().all(|v| v.is_finite()) {
                return Err(Error::Invalid {
                    op: "train",
                    reason: format!("losses became non-finite at step {step}: {last:?}"),
                });
            }
        }
        if step % config.sample_every == 0 || step == config.steps {
            write_samples(&trainer, &folder, step, real.as_deref())?;
        }
    }
    if tty {
        eprintln!();
    }
    let coverage = match config.data {
        DataSpec::Toy(kind) => mode_coverage(kind, &trainer.fixed_samples(EVAL_SAMPLES)?),
        _ => None,
    };
    if let Some(c) = coverage {
        eprintln!(
            "modes covered: {}/{}, high-quality samples: {:.1}% (of {EVAL_SAMPLES})",
            c.modes_covered,
            c.modes,
            100.0 * c.high_quality
        );
        let path = folder.dir.join("coverage.txt");
        let text = format!(
            "modes_covered = {}\nmodes = {}\nhigh_quality = {:.4}\n",
            c.modes_covered, c.modes, c.high_quality
        );
        write_atomic(&path, text.as_bytes())?;
    }
    Ok(Summary {
        steps: trainer.step,
        seconds: start.elapsed().as_secs_f64(),
        last,
        coverage,
    })
}
