//! The D/G schedule: per generator iteration, `n_critic` critic steps then
//! one generator step, all recorded on the GPU without readback. The losses
//! of the iteration land in a small GPU buffer read only when logging.

use super::config::{DataSpec, OptKind, TrainConfig};
use super::loss::{LossKind, critic_loss, generator_loss, gradient_penalty, interpolate};
use crate::autograd::ops::{mean_all, sub};
use crate::autograd::{Var, grad, no_grad};
use crate::data::gpu_images::GpuImages;
use crate::error::Result;
use crate::gpu::kernels::fill::{copy_range, full};
use crate::gpu::kernels::random::{RandomKey, normal, uniform};
use crate::gpu::kernels::toy::ToyKind;
use crate::gpu::kernels::toy::toy_batch;
use crate::gpu::{Gpu, Tensor};
use crate::models::Network;
use crate::models::dcgan::{Critic, DcganShape, Generator};
use crate::nn::{Act, Init, Mlp};
use crate::optim::{OptimConfig, Optimizer, clip_weights};

/// Stream tags of the random draws (see `RandomKey::substream`).
const TAG_REAL: u8 = 1;
const TAG_Z: u8 = 2;
const TAG_EPS: u8 = 3;
const TAG_INIT_G: u8 = 4;
const TAG_INIT_D: u8 = 5;
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
        let key = |tag| {
            RandomKey {
                seed: config.seed,
                stream: 0,
            }
            .substream(tag)
        };
        let (generator, critic, data): (Box<dyn Network>, Box<dyn Network>, RealData) =
            match &config.data {
                DataSpec::Toy(kind) => {
                    let hidden = vec![config.hidden; config.depth];
                    let g_sizes: Vec<usize> = [config.z_dim]
                        .iter()
                        .chain(&hidden)
                        .chain(&[2])
                        .copied()
                        .collect();
                    let d_sizes: Vec<usize> =
                        [2].iter().chain(&hidden).chain(&[1]).copied().collect();
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
                    (Box::new(g), Box::new(d), RealData::Toy(*kind))
                }
                images => {
                    let set = match images {
                        DataSpec::Idx(path) => crate::data::idx::load(path)?,
                        _ => crate::data::embedded()?,
                    };
                    let shape = DcganShape {
                        size: set.height,
                        channels: set.channels,
                        z_dim: config.z_dim,
                        g_width: config.g_width,
                        d_width: config.d_width,
                    };
                    if set.height != set.width || !matches!(set.height, 28 | 64) {
                        return Err(crate::Error::Invalid {
                            op: "train",
                            reason: format!(
                                "{}: DCGAN models take 28×28 or 64×64 images, the data set has {}×{}",
                                images.name(),
                                set.height,
                                set.width
                            ),
                        });
                    }
                    let g = Generator::new(gpu, shape, key(TAG_INIT_G))?;
                    let d = Critic::new(gpu, shape, config.d_norm, key(TAG_INIT_D))?;
                    (
                        Box::new(g),
                        Box::new(d),
                        RealData::Images(GpuImages::new(gpu, &set, config.seed)?),
                    )
                }
            };
        let opt_g = Optimizer::new(gpu, optim_config(&config), &values(&generator.parameters()))?;
        let opt_d = Optimizer::new(gpu, optim_config(&config), &values(&critic.parameters()))?;
        Ok(Self {
            gpu: gpu.clone(),
            metrics: full(gpu, &[METRICS], 0.0)?,
            config,
            generator,
            critic,
            data,
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

    fn real_batch(&mut self, n: usize, key: RandomKey) -> Result<Tensor> {
        match &mut self.data {
            RealData::Toy(kind) => toy_batch(&self.gpu, *kind, n, key),
            RealData::Images(images) => images.next_batch(&self.gpu, n),
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
        let real_batch = self.real_batch(b, real_key)?;
        let real = Var::constant(&self.gpu, real_batch);
        let fake = {
            let _no_grad = no_grad();
            self.generator.forward(&self.latent(b, z_key)?, true)?
        };
        let d_real = self.critic.forward(&real, true)?;
        let d_fake = self.critic.forward(&fake, true)?;
        let mut loss = critic_loss(self.config.loss, &d_real, &d_fake)?;
        if self.config.loss == LossKind::WganGp {
            let eps_key = self.next_key(TAG_EPS);
            let eps = Var::constant(&self.gpu, uniform(&self.gpu, &[b], eps_key, 0.0, 1.0)?);
            let x_hat = interpolate(&real, &fake, &eps)?;
            let penalty = gradient_penalty(&x_hat, self.config.gp_lambda, |x| {
                self.critic.forward(x, true)
            })?;
            if record {
                self.record(3, &penalty)?;
            }
            loss = crate::autograd::ops::add(&loss, &penalty)?;
        }
        let params = self.critic.parameters();
        let grads = grad(&loss, &params.iter().collect::<Vec<_>>(), false)?;
        self.opt_d
            .step(&self.gpu, &values(&params), &values(&grads))?;
        if let Some(c) = self.config.clip {
            clip_weights(&self.gpu, &values(&params), c)?;
        }
        if !record {
            return Ok(());
        }
        let _no_grad = no_grad();
        self.record(0, &loss)?;
        self.record(2, &sub(&mean_all(&d_real)?, &mean_all(&d_fake)?)?)
    }

    fn generator_step(&mut self) -> Result<()> {
        let z_key = self.next_key(TAG_Z);
        let z = self.latent(self.config.batch_size, z_key)?;
        let fake = self.generator.forward(&z, true)?;
        let d_fake = self
            .critic
            .forward_with(&fake, &self.critic.detached_parameters(), true)?;
        let loss = generator_loss(self.config.loss, &d_fake)?;
        let params = self.generator.parameters();
        let grads = grad(&loss, &params.iter().collect::<Vec<_>>(), false)?;
        self.opt_g
            .step(&self.gpu, &values(&params), &values(&grads))?;
        self.record(1, &loss)
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
    pub fn fixed_samples(&self, n: usize) -> Result<Vec<f32>> {
        let _no_grad = no_grad();
        let key = RandomKey {
            seed: self.config.seed,
            stream: 0,
        }
        .substream(TAG_FIXED_Z);
        self.generator
            .forward(&self.latent(n, key)?, false)?
            .to_vec()
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
