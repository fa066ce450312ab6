//! CPU twins of every GPU kernel: plain loops, f64 accumulation, the same
//! arguments as the launchers. Each twin is its kernel's specification.

#![allow(dead_code)]

pub mod conv;
pub mod elementwise;
pub mod matmul;
pub mod mlp;
pub mod norm;
pub mod optim;
pub mod penalty;
pub mod random;
pub mod reduce;
pub mod spectral;
pub mod toy;
