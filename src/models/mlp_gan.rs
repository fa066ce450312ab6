//! Fully connected GANs on flattened images, as in the WGAN paper's MLP
//! experiments (the performance issue's W1 and W2 workloads):
//!
//! G: z → 128 → 256 → 512 → 1024 → C·H·W, BatchNorm1d after the 256, 512 and
//! 1024 layers, LeakyReLU(0.2) after every hidden layer, tanh out.
//! D: C·H·W → 512 → 256 → 1 with LeakyReLU(0.2).

use super::Network;
use crate::autograd::Var;
use crate::autograd::ops::{linear_act, reshape};
use crate::error::Result;
use crate::gpu::kernels::matmul::Activation;
use crate::gpu::kernels::random::RandomKey;
use crate::gpu::{Gpu, Tensor};
use crate::nn::{Act, BatchNorm2d, Init, Linear, Mlp};

const SLOPE: f32 = 0.2;
const G_HIDDEN: [usize; 4] = [128, 256, 512, 1024];
const D_HIDDEN: [usize; 2] = [512, 256];

/// act(BatchNorm1d) over [B, F] as BatchNorm2d over [B, F, 1, 1] (the
/// same statistics: per feature over the batch).
fn batch_norm_1d(
    bn: &BatchNorm2d,
    h: &Var,
    training: bool,
    affine: (&Var, &Var),
    act: Activation,
) -> Result<Var> {
    let shape = h.shape().to_vec();
    let y = bn.forward_act_with(
        &reshape(h, &[shape[0], shape[1], 1, 1])?,
        training,
        affine,
        act,
    )?;
    reshape(&y, &shape)
}

pub struct MlpGenerator {
    layers: Vec<Linear>,
    /// Batch norm after hidden layer i, when it has one.
    norms: Vec<Option<BatchNorm2d>>,
    image_shape: [usize; 3],
}

impl MlpGenerator {
    pub fn new(gpu: &Gpu, z_dim: usize, image_shape: [usize; 3], key: RandomKey) -> Result<Self> {
        let out: usize = image_shape.iter().product();
        let sizes: Vec<usize> = [z_dim].into_iter().chain(G_HIDDEN).chain([out]).collect();
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(gpu, w[0], w[1], Init::PyTorch, key.layer(i)))
            .collect::<Result<_>>()?;
        let norms = G_HIDDEN
            .iter()
            .map(|&f| (f >= 256).then(|| BatchNorm2d::new(gpu, f)).transpose())
            .collect::<Result<_>>()?;
        Ok(Self {
            layers,
            norms,
            image_shape,
        })
    }
}

impl Network for MlpGenerator {
    fn parameters(&self) -> Vec<Var> {
        let mut p = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            p.extend([layer.weight.clone(), layer.bias.clone()]);
            if let Some(Some(bn)) = self.norms.get(i) {
                p.extend(bn.parameters());
            }
        }
        p
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        let mut p = Vec::new();
        let mut norms = self.norms.iter_mut();
        for layer in &mut self.layers {
            p.extend([&mut layer.weight, &mut layer.bias]);
            if let Some(Some(bn)) = norms.next() {
                p.extend(bn.parameters_mut());
            }
        }
        p
    }

    fn parameter_names(&self) -> Vec<String> {
        let mut n = Vec::new();
        for i in 0..self.layers.len() {
            n.extend([
                format!("net.{i}.linear.weight"),
                format!("net.{i}.linear.bias"),
            ]);
            if let Some(Some(_)) = self.norms.get(i) {
                n.extend([format!("net.{i}.norm.weight"), format!("net.{i}.norm.bias")]);
            }
        }
        n
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        let mut b = Vec::new();
        for (i, norm) in self.norms.iter().enumerate() {
            if let Some(bn) = norm {
                b.extend(bn.buffers(&format!("net.{i}.norm")));
            }
        }
        b
    }

    fn forward_with(&self, z: &Var, p: &[Var], training: bool) -> Result<Var> {
        let mut h = z.clone();
        let mut k = 0;
        let last = self.layers.len() - 1;
        for i in 0..self.layers.len() {
            // Layers without batch norm take their activation in the matmul
            // epilogue; the others in the batch norm's normalising pass.
            let norm = (i < last)
                .then(|| self.norms.get(i).and_then(Option::as_ref))
                .flatten();
            let act = match (i == last, norm) {
                (true, _) => Activation::Tanh,
                (false, None) => Activation::LeakyRelu(SLOPE),
                (false, Some(_)) => Activation::None,
            };
            h = linear_act(&h, &p[k], &p[k + 1], act)?;
            k += 2;
            if let Some(bn) = norm {
                let affine = (&p[k], &p[k + 1]);
                h = batch_norm_1d(bn, &h, training, affine, Activation::LeakyRelu(SLOPE))?;
                k += 2;
            }
        }
        let [c, hh, w] = self.image_shape;
        reshape(&h, &[z.shape()[0], c, hh, w])
    }
}

/// The critic: `Mlp` with LeakyReLU on the flattened image.
pub struct MlpCritic {
    mlp: Mlp,
}

impl MlpCritic {
    pub fn new(gpu: &Gpu, image_shape: [usize; 3], key: RandomKey) -> Result<Self> {
        let inputs: usize = image_shape.iter().product();
        let sizes: Vec<usize> = [inputs].into_iter().chain(D_HIDDEN).chain([1]).collect();
        let mlp = Mlp::new(gpu, &sizes, Act::LeakyRelu(SLOPE), None, Init::PyTorch, key)?;
        Ok(Self { mlp })
    }
}

fn flatten(x: &Var) -> Result<Var> {
    let b = x.shape()[0];
    reshape(x, &[b, x.value().len() / b])
}

impl Network for MlpCritic {
    fn parameters(&self) -> Vec<Var> {
        self.mlp.parameters()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        self.mlp.parameters_mut()
    }

    fn parameter_names(&self) -> Vec<String> {
        self.mlp.parameter_names()
    }

    fn forward_with(&self, x: &Var, p: &[Var], _training: bool) -> Result<Var> {
        self.mlp.forward_with(&flatten(x)?, p)
    }

    fn features_with(&self, x: &Var, p: &[Var], _training: bool) -> Result<Var> {
        self.mlp.features_with(&flatten(x)?, p)
    }
}
