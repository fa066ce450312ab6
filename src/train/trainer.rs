//! The D/G schedule: per generator iteration, `n_critic` critic steps then
//! one generator step, all recorded on the GPU without readback. The losses
//! of the iteration land in a small GPU buffer read only when logging.

use std::collections::HashMap;
use std::path::Path;

use super::checkpoint::{self, Checkpoint};
use super::config::{CondCritic, DataSpec, ModelKind, OptKind, TrainConfig};
use super::loss::{LossKind, critic_loss, generator_loss, gradient_penalty, interpolate};
use crate::autograd::ops::{concat_cols, mean_all, reshape, sub};
use crate::autograd::{Var, grad, no_grad};
use crate::data::gpu_images::GpuImages;
use crate::error::Result;
use crate::gpu::kernels::data::onehot_from_uniform;
use crate::gpu::kernels::fill::{copy_range, full};
use crate::gpu::kernels::random::{RandomKey, normal, uniform};
use crate::gpu::kernels::toy::ToyKind;
use crate::gpu::kernels::toy::{toy_batch, toy_batch_labelled};
use crate::gpu::{Gpu, Tensor};
use crate::models::Network;
use crate::models::conditional::{ConcatImageCritic, ProjectionCritic};
use crate::models::dcgan::{Critic, DcganShape, Generator};
use crate::models::mlp_gan::{MlpCritic, MlpGenerator};
use crate::nn::{Act, Init, Mlp};
use crate::optim::{FlatParams, OptimConfig, Optimizer};

/// Stream tags of the random draws (see `RandomKey::substream`).
const TAG_REAL: u8 = 1;
const TAG_Z: u8 = 2;
const TAG_EPS: u8 = 3;
const TAG_INIT_G: u8 = 4;
const TAG_INIT_D: u8 = 5;
const TAG_INIT_EMBED: u8 = 6;
const TAG_FAKE_CLASS: u8 = 7;
/// Fixed draws for sample plots: the same latent vectors every time.
pub const TAG_FIXED_Z: u8 = 0xF0;
pub const TAG_FIXED_REAL: u8 = 0xF1;

/// Slots of the metrics buffer, in the order of `Metrics`.
const METRICS: usize = 4;

/// Losses of one generator iteration (the last critic step's).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    pub d_loss: f32,
    pub g_loss: f32,
    /// E[D(x)] − E[D(G(z))]: the critic's Wasserstein estimate.
    pub wasserstein: f32,
    pub penalty: f32,
}

/// Real samples: drawn on the GPU (toy) or gathered from a GPU-resident set.
// One per trainer: the size of the image variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum RealData {
    Toy(ToyKind),
    Images(GpuImages),
}

pub struct Trainer {
    pub gpu: Gpu,
    pub config: TrainConfig,
    pub generator: Box<dyn Network>,
    pub critic: Box<dyn Network>,
    pub data: RealData,
    /// Classes the networks are conditioned on; 0 when unconditional.
    pub classes: usize,
    /// The networks' parameters, each network's in one buffer.
    flat_g: FlatParams,
    flat_d: FlatParams,
    opt_g: Optimizer,
    opt_d: Optimizer,
    /// Generator iterations done.
    pub step: u64,
    /// Random draws made: each draw takes the next stream, so a run is a
    /// pure function of (seed, step).
    draws: u64,
    metrics: Tensor,
}

fn values(params: &[Var]) -> Vec<Tensor> {
    params.iter().map(|p| p.value().clone()).collect()
}

/// One-hot rows [n, classes] for the given class of each row.
pub fn onehot_rows(gpu: &Gpu, of: &[usize], classes: usize) -> Result<Var> {
    let mut rows = vec![0.0f32; of.len() * classes];
    for (i, &k) in of.iter().enumerate() {
        if k >= classes {
            return Err(crate::Error::Invalid {
                op: "class",
                reason: format!("class {k} does not exist: the model has classes 0..{classes}"),
            });
        }
        rows[i * classes + k] = 1.0;
    }
    Ok(Var::constant(gpu, gpu.upload(&rows, &[of.len(), classes])?))
}

/// The generator and critic `config` describes: MLPs for toy data, DCGAN
/// for images of `image_shape` ([C, H, W]), initialised from the seed. With
/// `classes` > 0 they are conditional: the generator takes [z | one-hot]
/// and the critic packed [sample | one-hot] rows (see models::conditional).
pub fn networks(
    gpu: &Gpu,
    config: &TrainConfig,
    image_shape: Option<[usize; 3]>,
    classes: usize,
) -> Result<(Box<dyn Network>, Box<dyn Network>)> {
    let concat = classes > 0 && config.cond_critic == CondCritic::Concat;
    let project = classes > 0 && config.cond_critic == CondCritic::Projection;
    let embed_key = RandomKey {
        seed: config.seed,
        stream: 0,
    }
    .substream(TAG_INIT_EMBED);
    let key = |tag| {
        RandomKey {
            seed: config.seed,
            stream: 0,
        }
        .substream(tag)
    };
    let Some([channels, height, width]) = image_shape else {
        let hidden = vec![config.hidden; config.depth];
        let g_sizes: Vec<usize> = [config.z_dim + classes]
            .iter()
            .chain(&hidden)
            .chain(&[2])
            .copied()
            .collect();
        let d_in = if concat { 2 + classes } else { 2 };
        let d_sizes: Vec<usize> = [d_in].iter().chain(&hidden).chain(&[1]).copied().collect();
        let g = Mlp::new(
            gpu,
            &g_sizes,
            Act::Relu,
            None,
            Init::PyTorch,
            key(TAG_INIT_G),
        )?;
        let d = Mlp::new(
            gpu,
            &d_sizes,
            Act::LeakyRelu(0.2),
            None,
            Init::PyTorch,
            key(TAG_INIT_D),
        )?;
        let d: Box<dyn Network> = if project {
            Box::new(ProjectionCritic::new(
                gpu,
                Box::new(d),
                &[2],
                classes,
                config.hidden,
                embed_key,
            )?)
        } else {
            Box::new(d)
        };
        return Ok((Box::new(g), d));
    };
    if config.model == ModelKind::Mlp {
        let key_g = key(TAG_INIT_G);
        let g = MlpGenerator::new(
            gpu,
            config.z_dim + classes,
            [channels, height, width],
            key_g,
        )?;
        let flat = channels * height * width;
        let d_in = if concat {
            [1, 1, flat + classes]
        } else {
            [channels, height, width]
        };
        let d = Box::new(MlpCritic::new(gpu, d_in, key(TAG_INIT_D))?);
        let d: Box<dyn Network> = if project {
            let features = d.parameters()[d.parameters().len() - 2].shape()[1];
            let shape = [channels, height, width];
            Box::new(ProjectionCritic::new(
                gpu, d, &shape, classes, features, embed_key,
            )?)
        } else {
            d
        };
        return Ok((Box::new(g), d));
    }
    if height != width || !matches!(height, 28 | 64) {
        return Err(crate::Error::Invalid {
            op: "train",
            reason: format!(
                "{}: DCGAN models take 28×28 or 64×64 images, the data set has {height}×{width}",
                config.data.name()
            ),
        });
    }
    let shape = DcganShape {
        size: height,
        channels,
        z_dim: config.z_dim + classes,
        g_width: config.g_width,
        d_width: config.d_width,
    };
    let g = Generator::new(gpu, shape, key(TAG_INIT_G))?;
    let d_shape = DcganShape {
        channels: if concat { channels + classes } else { channels },
        ..shape
    };
    let d = Box::new(Critic::new(gpu, d_shape, config.d_norm, key(TAG_INIT_D))?);
    let d: Box<dyn Network> = if project {
        let features = d.parameters()[d.parameters().len() - 2].shape()[1];
        Box::new(ProjectionCritic::new(
            gpu,
            d,
            &[channels, height, width],
            classes,
            features,
            embed_key,
        )?)
    } else if concat {
        Box::new(ConcatImageCritic::new(
            d,
            [channels, height, width],
            classes,
        ))
    } else {
        d
    };
    Ok((Box::new(g), d))
}

fn optim_config(c: &TrainConfig) -> OptimConfig {
    match c.opt {
        OptKind::Adam => OptimConfig::Adam {
            lr: c.lr,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        OptKind::Rmsprop => OptimConfig::rmsprop(c.lr),
    }
}

impl Trainer {
    pub fn new(gpu: &Gpu, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let data = match &config.data {
            DataSpec::Toy(kind) => RealData::Toy(*kind),
            images => {
                let set = match images {
                    DataSpec::Idx(path) => crate::data::idx::load(path)?,
                    DataSpec::Folder(path) => {
                        crate::data::folder::load(path, config.image_size, config.channels)?
                    }
                    _ => crate::data::embedded()?,
                };
                RealData::Images(GpuImages::new(gpu, &set, config.seed)?)
            }
        };
        let (image_shape, classes) = match &data {
            RealData::Images(images) => (Some(images.image_shape), images.classes),
            RealData::Toy(kind) => (None, kind.modes().unwrap_or(0)),
        };
        if config.conditional && classes == 0 {
            return Err(crate::Error::Invalid {
                op: "train",
                reason: format!(
                    "--conditional needs class labels, and {} has none (IDX needs its labels file \
                     beside the images; a folder needs one sub-folder per class)",
                    config.data.name()
                ),
            });
        }
        let classes = if config.conditional { classes } else { 0 };
        let (mut generator, mut critic) = networks(gpu, &config, image_shape, classes)?;
        // Each network's parameters in one buffer: one optimizer dispatch each.
        let flat_g = FlatParams::adopt(gpu, generator.parameters_mut())?;
        let flat_d = FlatParams::adopt(gpu, critic.parameters_mut())?;
        let opt_g = Optimizer::new(gpu, optim_config(&config), &flat_g)?;
        let mut opt_d = Optimizer::new(gpu, optim_config(&config), &flat_d)?;
        opt_d.set_clip(config.clip);
        // Submit the set-up work, so that the first iteration's kernel
        // params start at the beginning of the arena, as every later
        // iteration's do (see `iteration`).
        gpu.submit();
        Ok(Self {
            gpu: gpu.clone(),
            metrics: full(gpu, &[METRICS], 0.0)?,
            config,
            generator,
            critic,
            data,
            classes,
            flat_g,
            flat_d,
            opt_g,
            opt_d,
            step: 0,
            draws: 0,
        })
    }

    fn next_key(&mut self, tag: u8) -> RandomKey {
        self.draws += 1;
        RandomKey {
            seed: self.config.seed,
            stream: self.draws,
        }
        .substream(tag)
    }

    /// Real samples and, when conditional, their classes as one-hot rows.
    fn real_batch(&mut self, n: usize, key: RandomKey) -> Result<(Tensor, Option<Var>)> {
        let labelled = self.classes > 0;
        let (x, y) = match &mut self.data {
            RealData::Toy(kind) => toy_batch_labelled(&self.gpu, *kind, n, key, labelled)?,
            RealData::Images(images) => images.next_batch(&self.gpu, n, labelled)?,
        };
        Ok((x, y.map(|y| Var::constant(&self.gpu, y))))
    }

    /// Uniformly drawn classes for generated samples (None: unconditional).
    fn fake_classes(&mut self, n: usize) -> Result<Option<Var>> {
        if self.classes == 0 {
            return Ok(None);
        }
        let key = self.next_key(TAG_FAKE_CLASS);
        let u = uniform(&self.gpu, &[n], key, 0.0, 1.0)?;
        let y = onehot_from_uniform(&self.gpu, &u, self.classes)?;
        Ok(Some(Var::constant(&self.gpu, y)))
    }

    /// The generator's input: z, or [z | one-hot class].
    pub fn generator_input(z: &Var, y: Option<&Var>) -> Result<Var> {
        match y {
            Some(y) => concat_cols(z, y),
            None => Ok(z.clone()),
        }
    }

    /// The critic's input: the samples, or packed rows [flattened sample | one-hot].
    fn critic_input(x: &Var, y: Option<&Var>) -> Result<Var> {
        match y {
            Some(y) => {
                let b = x.shape()[0];
                concat_cols(&reshape(x, &[b, x.value().len() / b])?, y)
            }
            None => Ok(x.clone()),
        }
    }

    pub fn latent(&self, n: usize, key: RandomKey) -> Result<Var> {
        Ok(Var::constant(
            &self.gpu,
            normal(&self.gpu, &[n, self.config.z_dim], key, 0.0, 1.0)?,
        ))
    }

    /// One generator iteration: `n_critic` critic steps, one generator step.
    pub fn iteration(&mut self) -> Result<()> {
        // Submit what the last iteration recorded, if a read of its losses
        // has not already: every iteration's kernel params then start at
        // the beginning of the arena, so the bind groups cached in one serve
        // the next (logged or not), still with one submit per iteration
        // (two where an epoch starts after the first critic step: see
        // `GpuImages::start_epoch`).
        self.gpu.submit();
        let lr = self.config.lr_at(self.step);
        self.opt_d.set_lr(lr);
        self.opt_g.set_lr(lr);
        // Only the last critic step's losses are logged: skip the copies of the others.
        for i in 0..self.config.n_critic {
            self.critic_step(i + 1 == self.config.n_critic)?;
        }
        self.generator_step()?;
        self.step += 1;
        Ok(())
    }

    fn record(&self, slot: usize, v: &Var) -> Result<()> {
        copy_range(&self.gpu, v.value(), 0, &self.metrics, slot, 1)
    }

    fn critic_step(&mut self, record: bool) -> Result<()> {
        let b = self.config.batch_size;
        let (real_key, z_key) = (self.next_key(TAG_REAL), self.next_key(TAG_Z));
        let (real_batch, y) = self.real_batch(b, real_key)?;
        let y = y.as_ref();
        let real = Var::constant(&self.gpu, real_batch);
        // Conditional: the fakes take the real batch's classes, so the
        // interpolates between them have one class each.
        let fake = {
            let _no_grad = no_grad();
            let input = Self::generator_input(&self.latent(b, z_key)?, y)?;
            self.generator.forward(&input, true)?
        };
        let d_real = self.critic.forward(&Self::critic_input(&real, y)?, true)?;
        let d_fake = self.critic.forward(&Self::critic_input(&fake, y)?, true)?;
        let mut loss = critic_loss(self.config.loss, &d_real, &d_fake)?;
        if self.config.loss == LossKind::WganGp {
            let eps_key = self.next_key(TAG_EPS);
            let eps = Var::constant(&self.gpu, uniform(&self.gpu, &[b], eps_key, 0.0, 1.0)?);
            let x_hat = interpolate(&real, &fake, &eps)?;
            let penalty = gradient_penalty(&x_hat, self.config.gp_lambda, |x| {
                self.critic.forward(&Self::critic_input(x, y)?, true)
            })?;
            if record {
                self.record(3, &penalty)?;
            }
            loss = crate::autograd::ops::add(&loss, &penalty)?;
        }
        let params = self.critic.parameters();
        let grads = grad(&loss, &params.iter().collect::<Vec<_>>(), false)?;
        // With weight clipping (`config.clip`), the update clamps too.
        self.opt_d.step(&self.gpu, &self.flat_d, &values(&grads))?;
        if !record {
            return Ok(());
        }
        let _no_grad = no_grad();
        self.record(0, &loss)?;
        self.record(2, &sub(&mean_all(&d_real)?, &mean_all(&d_fake)?)?)
    }

    fn generator_step(&mut self) -> Result<()> {
        let z_key = self.next_key(TAG_Z);
        let b = self.config.batch_size;
        let z = self.latent(b, z_key)?;
        let y = self.fake_classes(b)?;
        let fake = self
            .generator
            .forward(&Self::generator_input(&z, y.as_ref())?, true)?;
        let d_fake = self.critic.forward_with(
            &Self::critic_input(&fake, y.as_ref())?,
            &self.critic.detached_parameters(),
            true,
        )?;
        let loss = generator_loss(self.config.loss, &d_fake)?;
        let params = self.generator.parameters();
        let grads = grad(&loss, &params.iter().collect::<Vec<_>>(), false)?;
        self.opt_g.step(&self.gpu, &self.flat_g, &values(&grads))?;
        self.record(1, &loss)
    }

    /// Every tensor a checkpoint holds, by state_dict-style name: the
    /// networks' parameters and buffers, then each optimizer's state.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        let nets = [
            ("generator", "optimizer_g", &self.generator, &self.opt_g),
            ("critic", "optimizer_d", &self.critic, &self.opt_d),
        ];
        for (net_name, opt_name, net, opt) in nets {
            let names = net.parameter_names();
            for (name, p) in names.iter().zip(net.parameters()) {
                out.push((format!("{net_name}.{name}"), p.value().clone()));
            }
            for (name, t) in net.buffers() {
                out.push((format!("{net_name}.{name}"), t));
            }
            for (i, name) in names.iter().enumerate() {
                for (state, t) in opt.state_names().iter().zip(opt.state(i)) {
                    out.push((format!("{opt_name}.{name}.{state}"), t.clone()));
                }
            }
        }
        out
    }

    /// What besides tensors a resumed run needs: counters and the config.
    fn checkpoint_metadata(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("format".into(), checkpoint::FORMAT.into());
        m.insert("step".into(), self.step.to_string());
        m.insert("draws".into(), self.draws.to_string());
        m.insert("optimizer_g_steps".into(), self.opt_g.steps().to_string());
        m.insert("optimizer_d_steps".into(), self.opt_d.steps().to_string());
        if let RealData::Images(images) = &self.data {
            m.insert("data_epoch".into(), images.epoch.to_string());
            m.insert("data_position".into(), images.position.to_string());
            let [c, h, w] = images.image_shape;
            m.insert("image_shape".into(), format!("{c},{h},{w}"));
        }
        m.insert("classes".into(), self.classes.to_string());
        m.insert("config".into(), self.config.to_toml());
        m
    }

    /// Writes a checkpoint of the whole training state to `path` (through a
    /// temporary file, synced, then renamed).
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let bytes =
            checkpoint::to_bytes(&self.gpu, &self.state_tensors(), self.checkpoint_metadata())?;
        checkpoint::write_synced(path, &bytes)
    }

    /// A trainer for `config` in the state `ckpt` saved: continuing it gives
    /// the same weights, bit for bit, as a run that never stopped.
    pub fn resume(gpu: &Gpu, ckpt: &Checkpoint, config: TrainConfig) -> Result<Self> {
        let mut t = Trainer::new(gpu, config)?;
        ckpt.restore(gpu, &t.state_tensors())?;
        t.step = ckpt.meta_u64("step")?;
        t.draws = ckpt.meta_u64("draws")?;
        t.opt_g.set_steps(ckpt.meta_u64("optimizer_g_steps")?);
        t.opt_d.set_steps(ckpt.meta_u64("optimizer_d_steps")?);
        if let RealData::Images(images) = &mut t.data {
            let epoch = ckpt.meta_u64("data_epoch")?;
            let position = ckpt.meta_u64("data_position")? as usize;
            images.seek(gpu, epoch, position)?;
        }
        Ok(t)
    }

    /// The last iteration's losses (one readback).
    pub fn metrics(&self) -> Result<Metrics> {
        let m = self.gpu.read(&self.metrics)?;
        Ok(Metrics {
            d_loss: m[0],
            g_loss: m[1],
            wasserstein: m[2],
            penalty: m[3],
        })
    }

    /// `n` generated samples from the fixed latent vectors, flattened (batch
    /// norm in eval mode: running statistics, nothing updated).
    ///
    /// Conditional: sample i has class (i / row) mod classes, so a grid with
    /// `row` columns shows one class per row.
    pub fn fixed_samples(&self, n: usize, row: usize) -> Result<Vec<f32>> {
        let _no_grad = no_grad();
        let key = RandomKey {
            seed: self.config.seed,
            stream: 0,
        }
        .substream(TAG_FIXED_Z);
        let y = (self.classes > 0)
            .then(|| {
                let classes: Vec<usize> = (0..n).map(|i| (i / row.max(1)) % self.classes).collect();
                onehot_rows(&self.gpu, &classes, self.classes)
            })
            .transpose()?;
        let input = Self::generator_input(&self.latent(n, key)?, y.as_ref())?;
        self.generator.forward(&input, false)?.to_vec()
    }

    /// `n` real toy samples, the same every time (None for image data).
    pub fn fixed_real(&self, n: usize) -> Result<Option<Vec<f32>>> {
        let RealData::Toy(kind) = self.data else {
            return Ok(None);
        };
        let key = RandomKey {
            seed: self.config.seed,
            stream: 0,
        }
        .substream(TAG_FIXED_REAL);
        Ok(Some(self.gpu.read(&toy_batch(&self.gpu, kind, n, key)?)?))
    }
}
