//! DCGAN generator and critic for 28×28 and 64×64 images (Radford et al.
//! 2016), widths set by `--g-width` / `--d-width`.
//!
//! 28×28 generator: Linear(z → 4w·7·7) → BN → ReLU → ConvT(4w→2w, 4,2,1) → BN →
//! ReLU → ConvT(2w→w, 4,2,1) → BN → ReLU → Conv(w→C, 3,1,1) → tanh.
//! 28×28 critic: Conv(C→w, 4,2,1) → LReLU(0.2) → Conv(w→2w, 4,2,1) → norm →
//! LReLU(0.2) → Linear(2w·7·7 → 1).
//! 64×64 adds one more stride-2 stage on each side (4×4 start, ConvT to C).

use super::Network;
use crate::autograd::ops::{conv_transpose2d_bias_act, conv2d_bias_act, leaky_relu, reshape};
use crate::autograd::{Var, ops};
use crate::error::{Error, Result};
use crate::gpu::kernels::conv::Conv2dSpec;
use crate::gpu::kernels::matmul::Activation;
use crate::gpu::kernels::random::RandomKey;
use crate::gpu::{Gpu, Tensor};
use crate::nn::{BatchNorm2d, Init, LayerNorm, Linear, SpectralNorm};

/// The critic's normalisation between convolutions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DNorm {
    None,
    Layer,
    Batch,
    /// Spectral normalization of every critic weight (SNGAN).
    Spectral,
}

const DOWN: Conv2dSpec = Conv2dSpec {
    stride: 2,
    padding: 1,
};
const SAME3: Conv2dSpec = Conv2dSpec {
    stride: 1,
    padding: 1,
};

/// Sizes of one DCGAN pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DcganShape {
    /// 28 or 64.
    pub size: usize,
    pub channels: usize,
    pub z_dim: usize,
    pub g_width: usize,
    pub d_width: usize,
}

impl DcganShape {
    pub fn check(&self) -> Result<()> {
        if self.size != 28 && self.size != 64 {
            return Err(Error::Invalid {
                op: "dcgan",
                reason: format!("image size must be 28 or 64, got {}", self.size),
            });
        }
        // Channels beyond 3 occur in a critic that sees the class as planes.
        if self.g_width == 0 || self.d_width == 0 || self.z_dim == 0 || self.channels == 0 {
            return Err(Error::Invalid {
                op: "dcgan",
                reason: format!("widths, z-dim and channels must be ≥ 1, got {self:?}"),
            });
        }
        Ok(())
    }

    /// The critic's stride-2 convolutions: 28 → 14 → 7, or 64 → … → 4.
    fn critic_stages(&self) -> usize {
        if self.size == 28 { 2 } else { 4 }
    }

    /// The generator's channel widths from the stem down: 4w, 2w, w at 28
    /// (two stride-2 stages, then a 3×3 conv); 8w … w at 64 (three, then a
    /// stride-2 transposed conv to the image).
    fn generator_widths(&self) -> Vec<usize> {
        let levels = if self.size == 28 { 3 } else { 4 };
        (0..levels).rev().map(|i| self.g_width << i).collect()
    }

    fn start(&self) -> usize {
        if self.size == 28 { 7 } else { 4 }
    }
}

/// One convolution (or transposed convolution) with bias.
struct ConvLayer {
    weight: Var,
    bias: Var,
    spec: Conv2dSpec,
    transposed: bool,
}

impl ConvLayer {
    /// Weight shape is [out, in, k, k] for a conv and [in, out, k, k] for a
    /// transposed one; `init` as PyTorch's (fan-in from weight dims 1..,
    /// as torch computes it for both kinds) or DCGAN's N(0, 0.02), bias 0.
    #[allow(clippy::too_many_arguments)]
    fn new(
        gpu: &Gpu,
        cin: usize,
        cout: usize,
        k: usize,
        spec: Conv2dSpec,
        transposed: bool,
        init: Init,
        key: RandomKey,
    ) -> Result<Self> {
        let shape = if transposed {
            [cin, cout, k, k]
        } else {
            [cout, cin, k, k]
        };
        let (w, b) = init.draw(gpu, &shape, shape[1] * k * k, cout, key)?;
        Ok(Self {
            weight: Var::parameter(gpu, w),
            bias: Var::parameter(gpu, b),
            spec,
            transposed,
        })
    }

    fn forward(&self, x: &Var, w: &Var, b: &Var) -> Result<Var> {
        self.forward_act(x, w, b, Activation::None)
    }

    /// With `act` in the conv's bias pass.
    fn forward_act(&self, x: &Var, w: &Var, b: &Var, act: Activation) -> Result<Var> {
        if self.transposed {
            conv_transpose2d_bias_act(x, w, b, self.spec, act)
        } else {
            conv2d_bias_act(x, w, b, self.spec, act)
        }
    }
}

pub struct Generator {
    shape: DcganShape,
    stem: Linear,
    stem_norm: BatchNorm2d,
    /// Stride-2 transposed convolutions, each followed by BN and ReLU.
    ups: Vec<(ConvLayer, BatchNorm2d)>,
    out: ConvLayer,
}

impl Generator {
    pub fn new(gpu: &Gpu, shape: DcganShape, key: RandomKey) -> Result<Self> {
        shape.check()?;
        let widths = shape.generator_widths();
        let (start, top) = (shape.start(), widths[0]);
        let stem = Linear::new(
            gpu,
            shape.z_dim,
            top * start * start,
            Init::Dcgan,
            key.layer(0),
        )?;
        let mut ups = Vec::new();
        for (i, pair) in widths.windows(2).enumerate() {
            let layer = ConvLayer::new(
                gpu,
                pair[0],
                pair[1],
                4,
                DOWN,
                true,
                Init::Dcgan,
                key.layer(i + 1),
            )?;
            ups.push((layer, BatchNorm2d::new(gpu, pair[1])?));
        }
        let last = *widths.last().expect("stages ≥ 2");
        let out_key = key.layer(widths.len() + 1);
        let out = if shape.size == 28 {
            ConvLayer::new(
                gpu,
                last,
                shape.channels,
                3,
                SAME3,
                false,
                Init::Dcgan,
                out_key,
            )?
        } else {
            ConvLayer::new(
                gpu,
                last,
                shape.channels,
                4,
                DOWN,
                true,
                Init::Dcgan,
                out_key,
            )?
        };
        Ok(Self {
            shape,
            stem,
            stem_norm: BatchNorm2d::new(gpu, top)?,
            ups,
            out,
        })
    }
}

impl Network for Generator {
    fn parameters(&self) -> Vec<Var> {
        let mut p = vec![self.stem.weight.clone(), self.stem.bias.clone()];
        p.extend(self.stem_norm.parameters());
        for (conv, bn) in &self.ups {
            p.extend([conv.weight.clone(), conv.bias.clone()]);
            p.extend(bn.parameters());
        }
        p.extend([self.out.weight.clone(), self.out.bias.clone()]);
        p
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        let mut p = vec![&mut self.stem.weight, &mut self.stem.bias];
        p.extend(self.stem_norm.parameters_mut());
        for (conv, bn) in &mut self.ups {
            p.extend([&mut conv.weight, &mut conv.bias]);
            p.extend(bn.parameters_mut());
        }
        p.extend([&mut self.out.weight, &mut self.out.bias]);
        p
    }

    fn parameter_names(&self) -> Vec<String> {
        let mut names = vec![
            "stem.0.weight".into(),
            "stem.0.bias".into(),
            "stem.1.weight".into(),
            "stem.1.bias".into(),
        ];
        for i in 0..self.ups.len() {
            for part in ["0.weight", "0.bias", "1.weight", "1.bias"] {
                names.push(format!("up.{i}.{part}"));
            }
        }
        names.extend(["out.weight".into(), "out.bias".into()]);
        names
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        let mut b = self.stem_norm.buffers("stem.1");
        for (i, (_, bn)) in self.ups.iter().enumerate() {
            b.extend(bn.buffers(&format!("up.{i}.1")));
        }
        b
    }

    fn forward_with(&self, z: &Var, p: &[Var], training: bool) -> Result<Var> {
        let (start, top) = (self.shape.start(), self.shape.generator_widths()[0]);
        let h = self.stem.forward_with(z, &p[0], &p[1])?;
        let h = reshape(&h, &[z.shape()[0], top, start, start])?;
        let relu = Activation::Relu;
        let mut h = self
            .stem_norm
            .forward_act_with(&h, training, (&p[2], &p[3]), relu)?;
        for (i, (conv, bn)) in self.ups.iter().enumerate() {
            let q = &p[4 + 4 * i..8 + 4 * i];
            let up = conv.forward(&h, &q[0], &q[1])?;
            h = bn.forward_act_with(&up, training, (&q[2], &q[3]), relu)?;
        }
        let n = p.len();
        self.out
            .forward_act(&h, &p[n - 2], &p[n - 1], Activation::Tanh)
    }
}

/// A critic stage's normalisation.
enum Norm {
    None,
    Layer(LayerNorm),
    Batch(BatchNorm2d),
}

impl Norm {
    fn parameters(&self) -> Vec<Var> {
        match self {
            Norm::None => Vec::new(),
            Norm::Layer(ln) => ln.parameters(),
            Norm::Batch(bn) => bn.parameters(),
        }
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        match self {
            Norm::None => Vec::new(),
            Norm::Layer(ln) => ln.parameters_mut(),
            Norm::Batch(bn) => bn.parameters_mut(),
        }
    }
}

/// The critic starts from PyTorch's default init (as the WGAN-GP reference
/// code starts its critic from He-style init), not DCGAN's N(0, 0.02): at
/// small widths the latter gives ‖∇x D‖ ≈ 0.01, so the penalty sits at λ
/// and the critic spends its first hundreds of steps only growing weights.
pub const CRITIC_INIT: Init = Init::PyTorch;

pub struct Critic {
    /// Stride-2 convolutions; every one after the first has a normalisation.
    downs: Vec<(ConvLayer, Norm)>,
    head: Linear,
    /// With `DNorm::Spectral`: one per convolution, then the head's.
    spectral: Vec<SpectralNorm>,
}

impl Critic {
    pub fn new(gpu: &Gpu, shape: DcganShape, norm: DNorm, key: RandomKey) -> Result<Self> {
        shape.check()?;
        let mut downs = Vec::new();
        let (mut cin, mut size) = (shape.channels, shape.size);
        for i in 0..shape.critic_stages() {
            let cout = shape.d_width << i;
            size /= 2;
            let layer = ConvLayer::new(gpu, cin, cout, 4, DOWN, false, CRITIC_INIT, key.layer(i))?;
            let stage_norm = match norm {
                _ if i == 0 => Norm::None,
                DNorm::None | DNorm::Spectral => Norm::None,
                DNorm::Layer => Norm::Layer(LayerNorm::new(gpu, &[cout, size, size])?),
                DNorm::Batch => Norm::Batch(BatchNorm2d::new(gpu, cout)?),
            };
            downs.push((layer, stage_norm));
            cin = cout;
        }
        let head = Linear::new(
            gpu,
            cin * size * size,
            1,
            CRITIC_INIT,
            key.layer(shape.critic_stages()),
        )?;
        let mut spectral = Vec::new();
        if norm == DNorm::Spectral {
            let outputs = downs.iter().map(|(c, _)| c.weight.shape()[0]).chain([1]);
            for (i, out) in outputs.enumerate() {
                let u_key = key.layer(shape.critic_stages() + 1 + i).substream(0x55);
                spectral.push(SpectralNorm::new(gpu, out, u_key)?);
            }
        }
        Ok(Self {
            downs,
            head,
            spectral,
        })
    }

    /// A weight as the layer uses it: W / σ(W) under spectral normalization.
    fn weight(&self, layer: usize, w: &Var, training: bool) -> Result<Var> {
        match self.spectral.get(layer) {
            Some(sn) => sn.normalize(w, training),
            None => Ok(w.clone()),
        }
    }
}

impl Network for Critic {
    fn parameters(&self) -> Vec<Var> {
        let mut p = Vec::new();
        for (conv, norm) in &self.downs {
            p.extend([conv.weight.clone(), conv.bias.clone()]);
            p.extend(norm.parameters());
        }
        p.extend([self.head.weight.clone(), self.head.bias.clone()]);
        p
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        let mut p = Vec::new();
        for (conv, norm) in &mut self.downs {
            p.extend([&mut conv.weight, &mut conv.bias]);
            p.extend(norm.parameters_mut());
        }
        p.extend([&mut self.head.weight, &mut self.head.bias]);
        p
    }

    fn parameter_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (i, (_, norm)) in self.downs.iter().enumerate() {
            names.extend([format!("down.{i}.0.weight"), format!("down.{i}.0.bias")]);
            if !matches!(norm, Norm::None) {
                names.extend([format!("down.{i}.1.weight"), format!("down.{i}.1.bias")]);
            }
        }
        names.extend(["head.weight".into(), "head.bias".into()]);
        names
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        let mut b = Vec::new();
        for (i, (_, norm)) in self.downs.iter().enumerate() {
            if let Norm::Batch(bn) = norm {
                b.extend(bn.buffers(&format!("down.{i}.1")));
            }
        }
        let names = (0..self.downs.len())
            .map(|i| format!("down.{i}.0.weight_u"))
            .chain(["head.weight_u".to_string()]);
        for (name, sn) in names.zip(&self.spectral) {
            b.push((name, sn.u.clone()));
        }
        b
    }

    fn forward_with(&self, x: &Var, p: &[Var], training: bool) -> Result<Var> {
        let flat = self.features_with(x, p, training)?;
        self.head_with(&flat, p, training)
    }

    fn head_with(&self, features: &Var, p: &[Var], training: bool) -> Result<Var> {
        let k = p.len() - 2;
        let head = self.weight(self.downs.len(), &p[k], training)?;
        self.head.forward_with(features, &head, &p[k + 1])
    }

    fn features_with(&self, x: &Var, p: &[Var], training: bool) -> Result<Var> {
        let mut h = x.clone();
        let mut k = 0;
        for (i, (conv, norm)) in self.downs.iter().enumerate() {
            let w = self.weight(i, &p[k], training)?;
            k += 2;
            h = match norm {
                // Without a norm the activation rides in the conv's bias pass.
                Norm::None => conv.forward_act(&h, &w, &p[k - 1], Activation::LeakyRelu(0.2))?,
                Norm::Layer(ln) => {
                    k += 2;
                    let h = conv.forward(&h, &w, &p[k - 3])?;
                    leaky_relu(&ln.forward_with(&h, &p[k - 2], &p[k - 1])?, 0.2)?
                }
                Norm::Batch(bn) => {
                    k += 2;
                    let h = conv.forward(&h, &w, &p[k - 3])?;
                    bn.forward_act_with(
                        &h,
                        training,
                        (&p[k - 2], &p[k - 1]),
                        Activation::LeakyRelu(0.2),
                    )?
                }
            };
        }
        ops::reshape(&h, &[x.shape()[0], h.value().len() / x.shape()[0]])
    }
}
