//! A training run on disk: the resolved config, `metrics.csv`, sample CSVs
//! and scatter plots or image grids, the loss curve, checkpoints, a
//! progress line, and the final mode coverage.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::checkpoint::{self, Checkpoint, write_synced};
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
    /// The step the run reached, and the one this session started from.
    pub steps: u64,
    pub first_step: u64,
    pub seconds: f64,
    pub last: Metrics,
    pub coverage: Option<Coverage>,
    /// The last checkpoint written.
    pub checkpoint: Option<PathBuf>,
    /// Stopped early by the stop flag (Ctrl-C).
    pub interrupted: bool,
}

/// How a run may be stopped from outside: when `stop` turns true the run
/// finishes its iteration, writes a checkpoint and returns.
#[derive(Clone, Debug, Default)]
pub struct RunControl {
    pub stop: Option<Arc<AtomicBool>>,
}

impl RunControl {
    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Invalid {
        op: "run folder",
        reason: format!("{}: {e}", path.display()),
    }
}

struct RunFolder {
    dir: PathBuf,
    metrics: fs::File,
}

const METRICS_HEADER: &str = "step,d_loss,g_loss,wasserstein,penalty,iters_per_sec";

impl RunFolder {
    /// A new run folder, or (resuming at `resume_step`) the existing one with
    /// its metrics rows up to that step kept and the rest dropped.
    fn open(config: &TrainConfig, resume_step: Option<u64>) -> Result<Self> {
        let dir = config.out.clone();
        for sub in ["samples", "checkpoints"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| io_error(&dir, e))?;
        }
        write_synced(&dir.join("config.toml"), config.to_toml().as_bytes())?;
        let path = dir.join("metrics.csv");
        let mut rows = vec![METRICS_HEADER.to_string()];
        if let Some(step) = resume_step {
            let old = fs::read_to_string(&path).unwrap_or_default();
            rows.extend(
                old.lines()
                    .skip(1)
                    .filter(|l| {
                        l.split(',')
                            .next()
                            .and_then(|s| s.parse::<u64>().ok())
                            .is_some_and(|s| s <= step)
                    })
                    .map(str::to_string),
            );
        }
        write_synced(&path, (rows.join("\n") + "\n").as_bytes())?;
        let metrics = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        Ok(Self { dir, metrics })
    }

    /// (step, [d, g, w]) of the rows already in metrics.csv (a resumed run).
    fn history(&self) -> Vec<(u64, [f32; 3])> {
        let text = fs::read_to_string(self.dir.join("metrics.csv")).unwrap_or_default();
        text.lines()
            .skip(1)
            .filter_map(|l| {
                let v: Vec<&str> = l.split(',').collect();
                let f = |i: usize| v.get(i)?.parse::<f32>().ok();
                Some((v.first()?.parse().ok()?, [f(1)?, f(2)?, f(3)?]))
            })
            .collect()
    }

    /// Writes a checkpoint for the trainer's step and drops old ones.
    fn checkpoint(&self, trainer: &Trainer, keep: usize) -> Result<PathBuf> {
        let path = checkpoint::path_for(&self.dir, trainer.step);
        trainer.save_checkpoint(&path)?;
        checkpoint::prune(&self.dir, keep)?;
        Ok(path)
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
        write_synced(&stem.with_extension("csv"), csv.as_bytes())?;
        write_synced(&stem.with_extension("png"), &scatter_png(real, fake)?)
    }

    /// Images: an 8×8 grid from the fixed latent vectors.
    fn image_grid(&self, step: u64, fake: &[f32], shape: [usize; 4]) -> Result<()> {
        let path = self.dir.join("samples").join(format!("step_{step:06}.png"));
        write_synced(&path, &image_grid_png(fake, shape, GRID_COLS)?)
    }

    fn loss_curve(&self, history: &[(u64, [f32; 3])]) -> Result<()> {
        write_synced(&self.dir.join("loss.png"), &loss_curve_png(history)?)
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

/// Said before the first step of a process: a driver compiles each kernel
/// at its first launch, which on lavapipe with a cold Mesa shader cache (a
/// fresh machine) takes 5-15 s before any progress line (the default
/// DCGAN's one-step run took 7.7 s in a slow spell, the larger W3's start
/// 10.9-12.2 s: BENCHMARKS.md, session 13); later runs reuse the driver's
/// cache. A line of its own, not a progress line: it stays true while the
/// first steps run.
fn first_step_notice() {
    eprintln!(
        "first step: compiling kernels for this adapter (5-15 s on lavapipe without a shader cache)"
    );
}

/// Writes the samples of `step`: a scatter plot (toy) or an image grid.
fn write_samples(
    trainer: &Trainer,
    folder: &RunFolder,
    step: u64,
    real: Option<&[f32]>,
) -> Result<()> {
    match (real, &trainer.data) {
        (Some(real), _) => folder.toy_samples(step, real, &trainer.fixed_samples(EVAL_SAMPLES, 1)?),
        (None, RealData::Images(images)) => {
            let [c, h, w] = images.image_shape;
            // Conditional: one row of GRID_COLS per class.
            let n = if trainer.classes > 0 {
                GRID_COLS * trainer.classes
            } else {
                GRID_IMAGES
            };
            folder.image_grid(step, &trainer.fixed_samples(n, GRID_COLS)?, [n, c, h, w])
        }
        (None, RealData::Toy(_)) => unreachable!("toy runs always have real points"),
    }
}

/// Trains for `config.steps` generator iterations and writes the run folder.
pub fn train(gpu: &Gpu, config: TrainConfig) -> Result<Summary> {
    train_with(gpu, config, &RunControl::default())
}

/// As `train`, stoppable through `control`.
pub fn train_with(gpu: &Gpu, config: TrainConfig, control: &RunControl) -> Result<Summary> {
    let trainer = Trainer::new(gpu, config.clone())?;
    let folder = RunFolder::open(&config, None)?;
    run_loop(trainer, folder, control)
}

/// What a resumed run may change: how long it runs and what it writes,
/// nothing that changes the arithmetic. None keeps the checkpoint's value.
#[derive(Clone, Debug, Default)]
pub struct ResumeChanges {
    pub steps: Option<u64>,
    pub log_every: Option<u64>,
    pub sample_every: Option<u64>,
    pub checkpoint_every: Option<u64>,
    pub keep: Option<usize>,
}

/// Continues the run in `run_dir` from its newest checkpoint with the
/// checkpoint's config, changed only as `changes` says.
pub fn resume(
    gpu: &Gpu,
    run_dir: &Path,
    changes: &ResumeChanges,
    control: &RunControl,
) -> Result<Summary> {
    let ckpt = Checkpoint::read(&checkpoint::latest(run_dir)?)?;
    let mut config = ckpt.config()?;
    config.out = run_dir.to_path_buf();
    let c = changes.clone();
    config.steps = c.steps.unwrap_or(config.steps);
    config.log_every = c.log_every.unwrap_or(config.log_every);
    config.sample_every = c.sample_every.unwrap_or(config.sample_every);
    config.checkpoint_every = c.checkpoint_every.unwrap_or(config.checkpoint_every);
    config.keep = c.keep.unwrap_or(config.keep);
    config.validate()?;
    let trainer = Trainer::resume(gpu, &ckpt, config.clone())?;
    eprintln!(
        "resuming {} at step {} of {}",
        ckpt.path.display(),
        trainer.step,
        config.steps
    );
    let folder = RunFolder::open(&config, Some(trainer.step))?;
    run_loop(trainer, folder, control)
}

fn run_loop(mut trainer: Trainer, mut folder: RunFolder, control: &RunControl) -> Result<Summary> {
    let config = trainer.config.clone();
    let first_step = trainer.step;
    let real = trainer.fixed_real(EVAL_SAMPLES)?;
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut window = (Instant::now(), trainer.step);
    let mut last = Metrics::default();
    let mut history = folder.history();
    let mut saved: Option<PathBuf> = None;
    let mut interrupted = false;
    if trainer.step < config.steps {
        first_step_notice();
    }
    while trainer.step < config.steps {
        trainer.iteration()?;
        let step = trainer.step;
        // Read the flag once: a stop must both checkpoint and end the loop.
        let stop = control.stopped();
        let finishing = step == config.steps || stop;
        let checkpointing = step.is_multiple_of(config.checkpoint_every) || finishing;
        if step.is_multiple_of(config.log_every) || finishing || checkpointing {
            last = trainer.metrics()?;
            if ![last.d_loss, last.g_loss].iter().all(|v| v.is_finite()) {
                let kept = saved.as_ref().map_or_else(
                    || "no checkpoint was written before it".to_string(),
                    |p| format!("the last good checkpoint is {}", p.display()),
                );
                return Err(Error::Invalid {
                    op: "train",
                    reason: format!("losses became non-finite at step {step} ({last:?}); {kept}"),
                });
            }
        }
        if step.is_multiple_of(config.log_every) || finishing {
            let rate = (step - window.1) as f64 / window.0.elapsed().as_secs_f64();
            window = (Instant::now(), step);
            folder.log(step, &last, rate)?;
            history.push((step, [last.d_loss, last.g_loss, last.wasserstein]));
            folder.loss_curve(&history)?;
            progress(step, config.steps, rate, &last, tty);
        }
        if step.is_multiple_of(config.sample_every) || finishing {
            write_samples(&trainer, &folder, step, real.as_deref())?;
        }
        if checkpointing {
            saved = Some(folder.checkpoint(&trainer, config.keep)?);
        }
        if stop && step < config.steps {
            interrupted = true;
            break;
        }
    }
    if tty {
        eprintln!();
    }
    let coverage = match config.data {
        _ if interrupted => None,
        DataSpec::Toy(kind) => mode_coverage(kind, &trainer.fixed_samples(EVAL_SAMPLES, 1)?),
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
        write_synced(&path, text.as_bytes())?;
    }
    Ok(Summary {
        steps: trainer.step,
        first_step,
        seconds: start.elapsed().as_secs_f64(),
        last,
        coverage,
        checkpoint: saved,
        interrupted,
    })
}
