//! gpugan: GAN training whose every kernel is a hand-written WGSL compute shader.
//!
//! The host only schedules work; see `shared/DESIGN.md` for the architecture.

pub mod autograd;
pub mod bench;
pub mod data;
pub mod error;
pub mod gpu;
pub mod models;
pub mod nn;
pub mod optim;
pub mod train;

pub use error::{Error, Result};
pub use gpu::{AdapterChoice, Gpu, Tensor};
