//! Layers built from autograd ops: `Linear`, the MLP used by the toy GANs,
//! and the normalisations (batch, layer, spectral).

mod linear;
mod mlp;
mod norm;
mod spectral;

pub use linear::{Init, Linear};
pub use mlp::{Act, Mlp};
pub use norm::{BatchNorm2d, LayerNorm};
pub use spectral::SpectralNorm;
