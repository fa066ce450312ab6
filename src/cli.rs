//! Command-line interface: parse, build the request, call into the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use gpugan::AdapterChoice;
use gpugan::bench::Workload;
use gpugan::gpu::MatmulKernels;
use gpugan::models::dcgan::DNorm;
use gpugan::train::generate::PathMode;
use gpugan::train::loss::LossKind;
use gpugan::train::{CondCritic, DataSpec, LrDecay, ModelKind, OptKind, TrainConfig};

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
    /// Matmul kernels: the adapter's own (lanes8 on lavapipe, workgroup
    /// tiles on GPUs), or one family forced, to compare them or to step
    /// around a driver's trouble with one
    #[arg(long, global = true, value_enum, default_value_t = MatmulKernels::Adapter)]
    pub matmul: MatmulKernels,
}

impl AdapterArgs {
    pub fn choice(&self) -> AdapterChoice {
        AdapterChoice {
            backend: self.backend.clone(),
            adapter: self.adapter.clone(),
            matmul: self.matmul,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every adapter with the limits that matter; `*` marks the one gpugan uses
    Info,
    /// Train a GAN and write a run folder (config, metrics, samples, checkpoints)
    Train(Box<TrainArgs>),
    /// Draw a grid of samples from a checkpoint's generator
    Sample(SampleArgs),
    /// Rows of generated images along latent paths between random pairs
    Interpolate(InterpolateArgs),
    /// Time the reference workloads (w1, w2: MLP WGAN-clip / WGAN-GP; w3: DCGAN-28 WGAN-GP; m: matmuls)
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// One workload (default: all)
    #[arg(long, value_enum)]
    pub workload: Option<Workload>,
    /// Timed iterations per workload, after one warm-up
    #[arg(long, default_value_t = 5)]
    pub iters: usize,
    /// Also time one iteration kernel by kernel (each dispatch run alone)
    #[arg(long)]
    pub profile: bool,
    /// Instead, time the first iteration of each training workload kernel
    /// by kernel in a new device (--iters does not apply): each kernel's
    /// first launch includes building its pipeline (with
    /// MESA_SHADER_CACHE_DISABLE=1, lavapipe's whole compile)
    #[arg(long, conflicts_with = "profile")]
    pub profile_first: bool,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A checkpoint (RUN_DIR/checkpoints/step_N.safetensors)
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Number of samples
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Output PNG
    #[arg(long, default_value = "samples.png")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Redraw latent entries beyond ±T (the truncation trick)
    #[arg(long)]
    pub truncation: Option<f32>,
    /// Conditional generators: draw this class only (default: one class per row)
    #[arg(long)]
    pub class: Option<usize>,
}

#[derive(Args, Debug)]
pub struct InterpolateArgs {
    /// A checkpoint (RUN_DIR/checkpoints/step_N.safetensors)
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Points per path, end points included
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Paths (random latent pairs), one per row
    #[arg(long, default_value_t = 8)]
    pub rows: usize,
    #[arg(long, value_enum, default_value = "slerp")]
    pub mode: PathMode,
    /// Output PNG
    #[arg(long, default_value = "interpolation.png")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Flags left out take the defaults of `TrainConfig::for_adapter`: the
/// WGAN-GP paper's toy setting on a GPU, a smaller one on a CPU adapter.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// embedded (Fashion-MNIST subset), idx:PATH, folder:PATH, toy:8gaussians, toy:25gaussians or toy:swissroll
    #[arg(long, value_parser = DataSpec::parse)]
    pub data: Option<DataSpec>,
    #[arg(long, value_enum)]
    pub loss: Option<LossKind>,
    #[arg(long, value_enum)]
    pub opt: Option<OptKind>,
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f32>,
    /// Learning-rate schedule: none, or linear to 0 at the last step
    #[arg(long, value_enum)]
    pub lr_decay: Option<LrDecay>,
    /// Adam β1
    #[arg(long, allow_negative_numbers = true)]
    pub beta1: Option<f32>,
    /// Adam β2
    #[arg(long, allow_negative_numbers = true)]
    pub beta2: Option<f32>,
    /// Critic steps per generator step
    #[arg(long)]
    pub n_critic: Option<usize>,
    /// Gradient-penalty weight λ (wgan-gp)
    #[arg(long, allow_negative_numbers = true)]
    pub gp_lambda: Option<f32>,
    /// Clip critic weights to ±C after each critic step (required by wgan)
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<f32>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Latent dimension
    #[arg(long)]
    pub z_dim: Option<usize>,
    /// Generator iterations
    #[arg(long)]
    pub steps: Option<u64>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Width of the hidden layers of both networks
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Hidden layers of both networks
    #[arg(long)]
    pub depth: Option<usize>,
    /// Image networks: dcgan (convolutional) or mlp (fully connected)
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,
    /// DCGAN generator width (channels of its last hidden layer)
    #[arg(long)]
    pub g_width: Option<usize>,
    /// DCGAN critic width (channels of its first layer)
    #[arg(long)]
    pub d_width: Option<usize>,
    /// Critic normalisation: none, layer, batch (refused with wgan-gp) or spectral
    #[arg(long, value_enum)]
    pub d_norm: Option<DNorm>,
    /// Condition on the class labels (IDX labels, class sub-folders, toy modes)
    #[arg(long)]
    pub conditional: bool,
    /// How the conditional critic sees the class: projection or concat
    #[arg(long, value_enum)]
    pub cond_critic: Option<CondCritic>,
    /// folder: data: images are centre-cropped and resized to SIZE×SIZE (28 or 64)
    #[arg(long = "size")]
    pub image_size: Option<usize>,
    /// folder: data: 1 (grey) or 3 (RGB) channels
    #[arg(long)]
    pub channels: Option<usize>,
    /// Run folder
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Log (and read the losses back) every N steps
    #[arg(long)]
    pub log_every: Option<u64>,
    /// Write samples every N steps
    #[arg(long)]
    pub sample_every: Option<u64>,
    /// Write a checkpoint every N steps (also at the end and on Ctrl-C)
    #[arg(long)]
    pub checkpoint_every: Option<u64>,
    /// Checkpoints to keep (the newest)
    #[arg(long)]
    pub keep: Option<usize>,
    /// Continue the run in this folder from its newest checkpoint, with its
    /// config (--steps may extend it; other training flags are refused)
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
}

impl TrainArgs {
    /// With --resume the checkpoint's config holds: flags that would change
    /// what is trained are refused, naming them.
    pub fn check_resume_flags(&self) -> Result<(), String> {
        let mut given = Vec::new();
        macro_rules! given {
            ($($field:ident),*) => {
                $(if self.$field.is_some() {
                    let flag = stringify!($field).replace("image_size", "size").replace('_', "-");
                    given.push(format!("--{flag}"));
                })*
            };
        }
        given!(
            data,
            loss,
            opt,
            lr,
            lr_decay,
            beta1,
            beta2,
            n_critic,
            gp_lambda,
            clip,
            batch_size,
            z_dim,
            seed,
            hidden,
            depth,
            model,
            g_width,
            d_width,
            d_norm,
            cond_critic,
            image_size,
            channels,
            out
        );
        if self.conditional {
            given.push("--conditional".into());
        }
        if given.is_empty() {
            return Ok(());
        }
        Err(format!(
            "--resume continues with the run's own config; drop {} (only --steps, --log-every, \
             --sample-every, --checkpoint-every and --keep may change)",
            given.join(", ")
        ))
    }

    /// The flags given, over the adapter's defaults.
    pub fn config(&self, cpu_adapter: bool) -> TrainConfig {
        let data = self.data.clone().unwrap_or(DataSpec::DEFAULT);
        let mut c = TrainConfig::for_adapter(data, cpu_adapter);
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field.clone() { c.$field = v; })* };
        }
        set!(
            loss,
            opt,
            lr,
            lr_decay,
            beta1,
            beta2,
            n_critic,
            gp_lambda,
            batch_size,
            z_dim,
            steps,
            seed,
            hidden,
            depth,
            model,
            g_width,
            d_width,
            d_norm,
            cond_critic,
            image_size,
            channels,
            out,
            log_every,
            sample_every,
            checkpoint_every,
            keep
        );
        if self.clip.is_some() {
            c.clip = self.clip;
        }
        c.conditional |= self.conditional;
        c
    }

    /// Whether the user set the size of the run themselves.
    pub fn sized_by_user(&self) -> bool {
        self.hidden.is_some()
            || self.g_width.is_some()
            || self.d_width.is_some()
            || self.steps.is_some()
            || self.lr.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str], cpu: bool) -> TrainConfig {
        let cli = Cli::try_parse_from([&["gpugan", "train"], args].concat()).unwrap();
        let Command::Train(train) = cli.command else {
            panic!("not train")
        };
        train.config(cpu)
    }

    #[test]
    fn every_flag_reaches_the_config() {
        let c = config(
            &[
                "--data",
                "embedded",
                "--loss",
                "hinge",
                "--opt",
                "rmsprop",
                "--lr",
                "0.5",
                "--lr-decay",
                "linear",
                "--beta1",
                "0.1",
                "--beta2",
                "0.2",
                "--n-critic",
                "3",
                "--gp-lambda",
                "4",
                "--clip",
                "0.05",
                "--batch-size",
                "7",
                "--z-dim",
                "9",
                "--steps",
                "11",
                "--seed",
                "13",
                "--hidden",
                "15",
                "--depth",
                "2",
                "--g-width",
                "17",
                "--d-width",
                "19",
                "--model",
                "mlp",
                "--d-norm",
                "layer",
                "--size",
                "28",
                "--channels",
                "1",
                "--out",
                "somewhere",
                "--log-every",
                "21",
                "--sample-every",
                "23",
                "--checkpoint-every",
                "25",
                "--keep",
                "5",
            ],
            true,
        );
        assert_eq!(c.data, DataSpec::Embedded);
        assert_eq!(
            (c.loss, c.opt, c.lr, c.lr_decay),
            (LossKind::Hinge, OptKind::Rmsprop, 0.5, LrDecay::Linear)
        );
        assert_eq!(
            (c.beta1, c.beta2, c.n_critic, c.gp_lambda, c.clip),
            (0.1, 0.2, 3, 4.0, Some(0.05))
        );
        assert_eq!(
            (c.batch_size, c.z_dim, c.steps, c.seed, c.hidden, c.depth),
            (7, 9, 11, 13, 15, 2)
        );
        assert_eq!((c.g_width, c.d_width, c.d_norm), (17, 19, DNorm::Layer));
        assert_eq!(c.model, ModelKind::Mlp);
        assert_eq!((c.image_size, c.channels), (28, 1));
        assert_eq!(
            (c.out.to_str(), c.log_every, c.sample_every),
            (Some("somewhere"), 21, 23)
        );
        assert_eq!((c.checkpoint_every, c.keep), (25, 5));
    }

    #[test]
    fn defaults_depend_on_data_and_adapter() {
        // No --data: DCGAN on the embedded Fashion-MNIST subset.
        let cpu = config(&[], true);
        assert_eq!(cpu.data, DataSpec::Embedded);
        assert_eq!((cpu.g_width, cpu.n_critic, cpu.steps), (16, 2, 600));
        assert_eq!(config(&[], false).g_width, 64);
        assert_eq!(config(&["--data", "toy:8gaussians"], true).hidden, 64);
        assert_eq!(config(&["--data", "toy:8gaussians"], false).hidden, 512);
        let images = config(&["--data", "embedded"], false);
        assert_eq!(
            (images.z_dim, images.batch_size, images.gp_lambda),
            (100, 64, 10.0)
        );
    }
}
