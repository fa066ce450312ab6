//! Reverse-mode autodiff on GPU tensors with exact higher-order gradients.
//!
//! A `Var` is a tensor plus the op that made it. Every op's backward is
//! written with other `Var` ops (see `ops/`), never with raw kernels, so
//! `grad(.., create_graph = true)` records the backward pass itself and a
//! second `grad` through it is exact: the gradient penalty of WGAN-GP
//! differentiates ‖∇x D(x)‖ with respect to the critic's parameters this way.

mod engine;
pub mod ops;
mod var;

pub use engine::grad;
pub use var::{NoGradGuard, Var, no_grad};
