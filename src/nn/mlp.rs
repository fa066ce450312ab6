//! A multilayer perceptron: Linear layers with an activation between them.

use super::linear::{Init, Linear};
use crate::autograd::Var;
use crate::autograd::ops::linear_act;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::gpu::kernels::matmul::Activation;
use crate::gpu::kernels::random::RandomKey;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    Relu,
    LeakyRelu(f32),
    Tanh,
}

impl Act {
    /// The same activation as a matmul epilogue (see `linear_act`).
    pub fn epilogue(self) -> Activation {
        match self {
            Act::Relu => Activation::Relu,
            Act::LeakyRelu(s) => Activation::LeakyRelu(s),
            Act::Tanh => Activation::Tanh,
        }
    }
}

pub struct Mlp {
    pub layers: Vec<Linear>,
    pub hidden_act: Act,
    pub output_act: Option<Act>,
}

impl Mlp {
    /// `sizes` = [in, hidden.., out]; layer i draws from stream tag `i` of `key`.
    pub fn new(
        gpu: &Gpu,
        sizes: &[usize],
        hidden_act: Act,
        output_act: Option<Act>,
        init: Init,
        key: RandomKey,
    ) -> Result<Self> {
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(gpu, w[0], w[1], init, key.layer(i)))
            .collect::<Result<_>>()?;
        Ok(Self {
            layers,
            hidden_act,
            output_act,
        })
    }

    /// Weight and bias of every layer, in order.
    pub fn parameters(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.clone(), l.bias.clone()])
            .collect()
    }

    /// As `parameters`, to move them (see `FlatParams::adopt`).
    pub fn parameters_mut(&mut self) -> Vec<&mut Var> {
        self.layers
            .iter_mut()
            .flat_map(|l| [&mut l.weight, &mut l.bias])
            .collect()
    }

    /// PyTorch state_dict names for `parameters()` as in an `nn.Sequential`
    /// with activations between the layers: `net.0.weight`, `net.0.bias`, `net.2.weight`…
    pub fn parameter_names(&self) -> Vec<String> {
        (0..self.layers.len())
            .flat_map(|i| {
                [
                    format!("net.{}.weight", 2 * i),
                    format!("net.{}.bias", 2 * i),
                ]
            })
            .collect()
    }

    pub fn forward(&self, x: &Var) -> Result<Var> {
        self.forward_with(x, &self.parameters())
    }

    /// The network with other parameter vars in `parameters()` order.
    pub fn forward_with(&self, x: &Var, params: &[Var]) -> Result<Var> {
        let last = self.layers.len() - 1;
        let h = self.features_with(x, params)?;
        let act = self.output_act.map_or(Activation::None, Act::epilogue);
        linear_act(&h, &params[2 * last], &params[2 * last + 1], act)
    }

    /// Every layer but the last, activations included: the last layer's input.
    pub fn features_with(&self, x: &Var, params: &[Var]) -> Result<Var> {
        let mut h = x.clone();
        // Each hidden activation rides in its layer's matmul epilogue.
        let act = self.hidden_act.epilogue();
        for i in 0..self.layers.len() - 1 {
            h = linear_act(&h, &params[2 * i], &params[2 * i + 1], act)?;
        }
        Ok(h)
    }

    /// The same network with its parameters as constants: no gradients flow
    /// to them (the critic inside the generator's step).
    pub fn detached_parameters(&self) -> Vec<Var> {
        self.parameters().iter().map(Var::detach).collect()
    }
}
