//! The resolved training configuration and its checks.

use std::path::PathBuf;

use super::loss::LossKind;
use crate::error::{Error, Result};
use crate::gpu::kernels::toy::ToyKind;

/// Learning-rate schedule over the run's generator iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LrDecay {
    /// Constant.
    None,
    /// Linear from `--lr` to 0 at the last step, as in the WGAN-GP CIFAR code.
    Linear,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptKind {
    Adam,
    Rmsprop,
}

/// Where real samples come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSpec {
    Toy(ToyKind),
}

impl DataSpec {
    /// `toy:8gaussians`, `toy:25gaussians`, `toy:swissroll`.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "toy:8gaussians" => Ok(DataSpec::Toy(ToyKind::EightGaussians)),
            "toy:25gaussians" => Ok(DataSpec::Toy(ToyKind::TwentyFiveGaussians)),
            "toy:swissroll" => Ok(DataSpec::Toy(ToyKind::SwissRoll)),
            other => Err(format!(
                "unknown data set '{other}': expected toy:8gaussians, toy:25gaussians or toy:swissroll"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DataSpec::Toy(ToyKind::EightGaussians) => "toy:8gaussians",
            DataSpec::Toy(ToyKind::TwentyFiveGaussians) => "toy:25gaussians",
            DataSpec::Toy(ToyKind::SwissRoll) => "toy:swissroll",
        }
    }

    /// Dimensions of one sample.
    pub fn sample_dim(self) -> usize {
        match self {
            DataSpec::Toy(_) => 2,
        }
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
    pub hidden: usize,
    pub depth: usize,
    pub out: PathBuf,
    pub log_every: u64,
    pub sample_every: u64,
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
            out: PathBuf::from("runs/toy"),
            log_every: 50,
            sample_every: 500,
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

    /// The defaults for `data` on a GPU or a CPU adapter.
    pub fn for_adapter(data: DataSpec, cpu_adapter: bool) -> Self {
        match data {
            DataSpec::Toy(kind) if cpu_adapter => TrainConfig::toy_cpu(kind),
            DataSpec::Toy(kind) => TrainConfig::toy_default(kind),
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
            (LossKind::Wgan, None) => {
                return bad("--loss wgan needs --clip C (weight clipping keeps the critic Lipschitz; 0.01 in the WGAN paper)".into());
            }
            (_, Some(c)) if !(c.is_finite() && c > 0.0) => {
                return bad(format!("--clip must be a positive number, got {c}"));
            }
            _ => {}
        }
        if self.log_every == 0 || self.sample_every == 0 {
            return bad("--log-every and --sample-every must be at least 1".into());
        }
        Ok(())
    }

    /// The resolved configuration as TOML, written into the run folder.
    pub fn to_toml(&self) -> String {
        let clip = self
            .clip
            .map_or("# clip = none".to_string(), |c| format!("clip = {c}"));
        format!(
            "data = \"{}\"\nloss = \"{}\"\nopt = \"{}\"\nlr = {}\nlr_decay = \"{}\"\nbeta1 = {}\nbeta2 = {}\nn_critic = {}\n\
             gp_lambda = {}\n{clip}\nbatch_size = {}\nz_dim = {}\nsteps = {}\nseed = {}\nhidden = {}\n\
             depth = {}\nlog_every = {}\nsample_every = {}\n",
            self.data.name(),
            self.loss.name(),
            match self.opt {
                OptKind::Adam => "adam",
                OptKind::Rmsprop => "rmsprop",
            },
            self.lr,
            match self.lr_decay {
                LrDecay::None => "none",
                LrDecay::Linear => "linear",
            },
            self.beta1,
            self.beta2,
            self.n_critic,
            self.gp_lambda,
            self.batch_size,
            self.z_dim,
            self.steps,
            self.seed,
            self.hidden,
            self.depth,
            self.log_every,
            self.sample_every,
        )
    }
}
