//! Layers built from autograd ops: `Linear`, the MLP used by the toy GANs,
//! and the normalisations.

mod linear;
mod mlp;
mod norm;

pub use linear::{Init, Linear};
pub use mlp::{Act, Mlp};
pub use norm::{BatchNorm2d, LayerNorm};
