//! The resolved training configuration and its checks.

use std::path::PathBuf;

use super::loss::LossKind;
use crate::error::{Error, Result};
use crate::gpu::kernels::toy::ToyKind;
use crate::models::dcgan::DNorm;

/// Learning-rate schedule over the run's generator iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LrDecay {
    /// Constant.
    None,
    /// Linear from `--lr` to 0 at the last step, as in the WGAN-GP CIFAR code.
    Linear,
}

/// Network family for image data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelKind {
    /// Convolutional (DCGAN), 28×28 or 64×64.
    Dcgan,
    /// Fully connected on flattened images (the WGAN paper's MLP GAN).
    Mlp,
}

/// How a conditional critic sees the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CondCritic {
    /// Projection discriminator: ⟨embed(y), φ(x)⟩ added to the output.
    Projection,
    /// The one-hot class beside the input (extra planes for images).
    Concat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptKind {
    Adam,
    Rmsprop,
}

/// Where real samples come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSpec {
    Toy(ToyKind),
    /// The embedded Fashion-MNIST subset.
    Embedded,
    /// An IDX images file, or a folder with `train-images-idx3-ubyte[.gz]`.
    Idx(PathBuf),
    /// A folder of png/jpg images (class sub-folders give labels).
    Folder(PathBuf),
}

impl DataSpec {
    /// What `gpugan train` trains on without --data.
    pub const DEFAULT: DataSpec = DataSpec::Embedded;

    /// `embedded`, `idx:PATH`, `folder:PATH`, `toy:8gaussians`,
    /// `toy:25gaussians`, `toy:swissroll`.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "embedded" => Ok(DataSpec::Embedded),
            "toy:8gaussians" => Ok(DataSpec::Toy(ToyKind::EightGaussians)),
            "toy:25gaussians" => Ok(DataSpec::Toy(ToyKind::TwentyFiveGaussians)),
            "toy:swissroll" => Ok(DataSpec::Toy(ToyKind::SwissRoll)),
            other => {
                let path = |prefix| other.strip_prefix(prefix).filter(|p| !p.is_empty());
                if let Some(p) = path("idx:") {
                    Ok(DataSpec::Idx(PathBuf::from(p)))
                } else if let Some(p) = path("folder:") {
                    Ok(DataSpec::Folder(PathBuf::from(p)))
                } else {
                    Err(format!(
                        "unknown data set '{other}': expected embedded, idx:PATH, folder:PATH, \
                         toy:8gaussians, toy:25gaussians or toy:swissroll"
                    ))
                }
            }
        }
    }

    pub fn name(&self) -> String {
        match self {
            DataSpec::Toy(ToyKind::EightGaussians) => "toy:8gaussians".into(),
            DataSpec::Toy(ToyKind::TwentyFiveGaussians) => "toy:25gaussians".into(),
            DataSpec::Toy(ToyKind::SwissRoll) => "toy:swissroll".into(),
            DataSpec::Embedded => "embedded".into(),
            DataSpec::Idx(p) => format!("idx:{}", p.display()),
            DataSpec::Folder(p) => format!("folder:{}", p.display()),
        }
    }

    pub fn is_toy(&self) -> bool {
        matches!(self, DataSpec::Toy(_))
    }
}

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub data: DataSpec,
    pub loss: LossKind,
    pub opt: OptKind,
    pub lr: f32,
    pub lr_decay: LrDecay,
    /// Adam β1 and β2; RMSprop keeps PyTorch's defaults (α 0.99, ε 1e-8).
    pub beta1: f32,
    pub beta2: f32,
    pub n_critic: usize,
    pub gp_lambda: f32,
    pub clip: Option<f32>,
    pub batch_size: usize,
    pub z_dim: usize,
    pub steps: u64,
    pub seed: u64,
    /// MLP width and hidden layers (toy data).
    pub hidden: usize,
    pub depth: usize,
    /// Image networks: DCGAN (widths and critic normalisation below) or MLP.
    pub model: ModelKind,
    /// DCGAN widths and critic normalisation (image data).
    pub g_width: usize,
    pub d_width: usize,
    pub d_norm: DNorm,
    /// Condition both networks on the data's class labels.
    pub conditional: bool,
    pub cond_critic: CondCritic,
    /// Side and channels images of a folder are brought to (`folder:` data).
    pub image_size: usize,
    pub channels: usize,
    pub out: PathBuf,
    pub log_every: u64,
    pub sample_every: u64,
    /// Write a checkpoint every N steps (and at the end and on Ctrl-C),
    /// keeping the last `keep`.
    pub checkpoint_every: u64,
    pub keep: usize,
}

impl TrainConfig {
    /// The WGAN-GP paper's toy setting: 512-wide nets with 3 hidden layers,
    /// batch 256, 5 critic steps, Adam(1e-4, 0.5, 0.9), and the toy code's
    /// λ = 0.1 ("smaller lambda seems to help for toy tasks").
    pub fn toy_default(kind: ToyKind) -> Self {
        TrainConfig {
            data: DataSpec::Toy(kind),
            loss: LossKind::WganGp,
            opt: OptKind::Adam,
            lr: 1e-4,
            lr_decay: LrDecay::None,
            beta1: 0.5,
            beta2: 0.9,
            n_critic: 5,
            gp_lambda: 0.1,
            clip: None,
            batch_size: 256,
            z_dim: 2,
            steps: 2000,
            seed: 0,
            hidden: 512,
            depth: 3,
            model: ModelKind::Dcgan,
            g_width: 64,
            d_width: 64,
            d_norm: DNorm::None,
            conditional: false,
            cond_critic: CondCritic::Projection,
            image_size: 64,
            channels: 3,
            out: PathBuf::from("runs/toy"),
            log_every: 50,
            sample_every: 500,
            checkpoint_every: 500,
            keep: 3,
        }
    }

    /// The learning rate for generator iteration `step` (counting from 0).
    pub fn lr_at(&self, step: u64) -> f32 {
        match self.lr_decay {
            LrDecay::None => self.lr,
            LrDecay::Linear => self.lr * (1.0 - step as f32 / self.steps.max(1) as f32),
        }
    }

    /// A size that trains in a few minutes on a CPU adapter (lavapipe), where
    /// the paper's 512-wide nets run at about 1 iteration/s: 64-wide nets
    /// and a larger learning rate decayed linearly to 0.
    pub fn toy_cpu(kind: ToyKind) -> Self {
        TrainConfig {
            hidden: 64,
            lr: 1e-3,
            lr_decay: LrDecay::Linear,
            steps: 2500,
            ..TrainConfig::toy_default(kind)
        }
    }

    /// DCGAN WGAN-GP on images with the WGAN-GP paper's settings: batch 64,
    /// z 100, Adam(1e-4, 0.5, 0.9), n_critic 5, λ 10, DCGAN widths 64.
    pub fn images_default(data: DataSpec) -> Self {
        TrainConfig {
            data,
            gp_lambda: 10.0,
            batch_size: 64,
            z_dim: 100,
            steps: 20_000,
            out: PathBuf::from("runs/dcgan"),
            log_every: 20,
            sample_every: 200,
            checkpoint_every: 1000,
            ..TrainConfig::toy_default(ToyKind::EightGaussians)
        }
    }

    /// What shows clothing within ten minutes on a 2-core CPU adapter
    /// (lavapipe, about 0.9 s per iteration): widths 16, batch 32, two critic
    /// steps per generator step and lr 5e-4 decayed linearly over 600 steps.
    /// Measured against the paper's n_critic 5 and narrower nets in
    /// BENCHMARKS.md: at equal wall time those still drew blobs.
    pub fn images_cpu(data: DataSpec) -> Self {
        TrainConfig {
            g_width: 16,
            d_width: 16,
            batch_size: 32,
            n_critic: 2,
            lr: 5e-4,
            lr_decay: LrDecay::Linear,
            steps: 600,
            log_every: 10,
            sample_every: 100,
            checkpoint_every: 100,
            ..TrainConfig::images_default(data)
        }
    }

    /// The defaults for `data` on a GPU or a CPU adapter.
    pub fn for_adapter(data: DataSpec, cpu_adapter: bool) -> Self {
        match data {
            DataSpec::Toy(kind) if cpu_adapter => TrainConfig::toy_cpu(kind),
            DataSpec::Toy(kind) => TrainConfig::toy_default(kind),
            images if cpu_adapter => TrainConfig::images_cpu(images),
            images => TrainConfig::images_default(images),
        }
    }

    /// Rejects settings that cannot train, with one line saying why.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| {
            Err(Error::Invalid {
                op: "train",
                reason,
            })
        };
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("--lr must be a positive number, got {}", self.lr));
        }
        for (name, v) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(format!("{name} must lie in [0, 1), got {v}"));
            }
        }
        if self.n_critic == 0 {
            return bad("--n-critic must be at least 1".into());
        }
        if self.batch_size == 0 || self.z_dim == 0 || self.hidden == 0 || self.depth == 0 {
            return bad("--batch-size, --z-dim, --hidden and --depth must be at least 1".into());
        }
        if !(self.gp_lambda.is_finite() && self.gp_lambda >= 0.0) {
            return bad(format!("--gp-lambda must be ≥ 0, got {}", self.gp_lambda));
        }
        match (self.loss, self.clip) {
            (LossKind::Wgan, None) if self.d_norm != DNorm::Spectral => {
                return bad("--loss wgan needs --clip C or --d-norm spectral to keep the critic Lipschitz (clip 0.01 in the WGAN paper)".into());
            }
            (_, Some(c)) if !(c.is_finite() && c > 0.0) => {
                return bad(format!("--clip must be a positive number, got {c}"));
            }
            _ => {}
        }
        if self.d_norm == DNorm::Batch && self.loss == LossKind::WganGp && !self.data.is_toy() {
            return bad("--d-norm batch cannot be used with --loss wgan-gp: batch norm couples the samples of a batch, \
                 but the gradient penalty is per sample (use --d-norm layer or none, as the WGAN-GP paper does)"
                .into());
        }
        if self.conditional && self.data == DataSpec::Toy(ToyKind::SwissRoll) {
            return bad("--conditional needs class labels; toy:swissroll has none (its modes are not discrete)".into());
        }
        if self.model == ModelKind::Mlp && self.d_norm != DNorm::None {
            return bad("--d-norm applies to the DCGAN critic; --model mlp has no normalisation in its critic".into());
        }
        if self.data.is_toy() && self.d_norm != DNorm::None {
            return bad("--d-norm applies to the convolutional critic of image data; toy critics are plain MLPs".into());
        }
        if self.g_width == 0 || self.d_width == 0 {
            return bad("--g-width and --d-width must be at least 1".into());
        }
        if !matches!(self.image_size, 28 | 64) || !matches!(self.channels, 1 | 3) {
            return bad(format!(
                "--size must be 28 or 64 (the DCGAN models' sizes) and --channels 1 or 3, got {} and {}",
                self.image_size, self.channels
            ));
        }
        if self.log_every == 0 || self.sample_every == 0 {
            return bad("--log-every and --sample-every must be at least 1".into());
        }
        if self.checkpoint_every == 0 || self.keep == 0 {
            return bad("--checkpoint-every and --keep must be at least 1".into());
        }
        Ok(())
    }
}
