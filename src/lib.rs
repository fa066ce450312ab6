//! gpugan: GAN training whose every kernel is a hand-written WGSL compute shader.
//!
//! The host only schedules work; see `shared/DESIGN.md` for the architecture.

pub mod error;
pub mod gpu;

pub use error::{Error, Result};
pub use gpu::{AdapterChoice, Gpu, Tensor};
