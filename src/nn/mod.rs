//! Layers built from autograd ops: `Linear` and the MLP used by the toy GANs.

mod linear;
mod mlp;

pub use linear::{Init, Linear};
pub use mlp::{Act, Mlp};
