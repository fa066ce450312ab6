//! Command-line interface: parse, build the request, call into the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use gpugan::AdapterChoice;
use gpugan::train::loss::LossKind;
use gpugan::train::{DataSpec, OptKind, TrainConfig};

#[derive(Parser, Debug)]
#[command(
    name = "gpugan",
    version,
    about = "Train GANs with WGSL compute kernels on any GPU"
)]
pub struct Cli {
    #[command(flatten)]
    pub adapter: AdapterArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct AdapterArgs {
    /// Graphics API: vulkan, metal, dx12 or gl (default: all; env WGPU_BACKEND)
    #[arg(long, global = true)]
    pub backend: Option<String>,
    /// Use the adapter whose name contains this text (env WGPU_ADAPTER_NAME)
    #[arg(long, global = true)]
    pub adapter: Option<String>,
}

impl AdapterArgs {
    pub fn choice(&self) -> AdapterChoice {
        AdapterChoice {
            backend: self.backend.clone(),
            adapter: self.adapter.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every adapter with the limits that matter; `*` marks the one gpugan uses
    Info,
    /// Train a GAN and write a run folder (config, metrics, samples)
    Train(TrainArgs),
}

/// Defaults follow the WGAN-GP paper's toy experiments.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// toy:8gaussians, toy:25gaussians or toy:swissroll
    #[arg(long, default_value = "toy:8gaussians", value_parser = DataSpec::parse)]
    pub data: DataSpec,
    #[arg(long, value_enum, default_value = "wgan-gp")]
    pub loss: LossKind,
    #[arg(long, value_enum, default_value = "adam")]
    pub opt: OptKind,
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub lr: f32,
    /// Adam β1
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub beta1: f32,
    /// Adam β2
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub beta2: f32,
    /// Critic steps per generator step
    #[arg(long, default_value_t = 5)]
    pub n_critic: usize,
    /// Gradient-penalty weight λ (wgan-gp)
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub gp_lambda: f32,
    /// Clip critic weights to ±C after each critic step (required by wgan)
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<f32>,
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Latent dimension
    #[arg(long, default_value_t = 2)]
    pub z_dim: usize,
    /// Generator iterations
    #[arg(long, default_value_t = 2000)]
    pub steps: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Width of the hidden layers of both networks
    #[arg(long, default_value_t = 512)]
    pub hidden: usize,
    /// Hidden layers of both networks
    #[arg(long, default_value_t = 3)]
    pub depth: usize,
    /// Run folder
    #[arg(long, default_value = "runs/toy")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 50)]
    pub log_every: u64,
    #[arg(long, default_value_t = 500)]
    pub sample_every: u64,
}

impl TrainArgs {
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            data: self.data,
            loss: self.loss,
            opt: self.opt,
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            n_critic: self.n_critic,
            gp_lambda: self.gp_lambda,
            clip: self.clip,
            batch_size: self.batch_size,
            z_dim: self.z_dim,
            steps: self.steps,
            seed: self.seed,
            hidden: self.hidden,
            depth: self.depth,
            out: self.out.clone(),
            log_every: self.log_every,
            sample_every: self.sample_every,
        }
    }
}
