//! Networks the trainer drives: the MLPs of the toy GANs and DCGAN's
//! convolutional generator and critic.

pub mod conditional;
pub mod dcgan;
pub mod mlp_gan;

use crate::autograd::Var;
use crate::error::Result;
use crate::gpu::Tensor;
use crate::nn::Mlp;

/// A network whose parameters can be swapped for others (detached copies in
/// the generator step) and which may behave differently in training
/// (batch norm's batch statistics).
pub trait Network {
    fn parameters(&self) -> Vec<Var>;
    /// The same parameters in the same order, to move them into one buffer
    /// (`FlatParams::adopt`).
    fn parameters_mut(&mut self) -> Vec<&mut Var>;
    /// PyTorch state_dict names, in `parameters()` order.
    fn parameter_names(&self) -> Vec<String>;
    fn forward_with(&self, x: &Var, params: &[Var], training: bool) -> Result<Var>;

    /// The input of the last Linear layer, [B, F], whose weight and bias are
    /// the last two parameters: what a projection discriminator projects.
    fn features_with(&self, _x: &Var, _params: &[Var], _training: bool) -> Result<Var> {
        Err(crate::Error::Invalid {
            op: "features",
            reason: "this network does not end in a linear head".into(),
        })
    }

    /// The last Linear layer on `features` (see `features_with`), as the
    /// network applies it (a spectrally normalised critic normalises it).
    fn head_with(&self, features: &Var, params: &[Var], _training: bool) -> Result<Var> {
        let n = params.len();
        crate::autograd::ops::linear(features, &params[n - 2], &params[n - 1])
    }

    fn forward(&self, x: &Var, training: bool) -> Result<Var> {
        self.forward_with(x, &self.parameters(), training)
    }

    /// State that is not trained by gradients but belongs in a checkpoint
    /// (batch norm's running statistics), with state_dict names.
    fn buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The parameters as constants: no gradient flows to them.
    fn detached_parameters(&self) -> Vec<Var> {
        self.parameters().iter().map(Var::detach).collect()
    }
}

impl Network for Mlp {
    fn parameters(&self) -> Vec<Var> {
        Mlp::parameters(self)
    }

    fn parameters_mut(&mut self) -> Vec<&mut Var> {
        Mlp::parameters_mut(self)
    }

    fn parameter_names(&self) -> Vec<String> {
        Mlp::parameter_names(self)
    }

    fn forward_with(&self, x: &Var, params: &[Var], _training: bool) -> Result<Var> {
        Mlp::forward_with(self, x, params)
    }

    fn features_with(&self, x: &Var, params: &[Var], _training: bool) -> Result<Var> {
        Mlp::features_with(self, x, params)
    }
}
