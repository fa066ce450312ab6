//! GPU kernels against their CPU twins, shader translation, error paths.
//! One test binary: it links wgpu once and shares one device.

#[path = "../reference/mod.rs"]
mod reference;

mod autograd;
mod checkpoint;
mod cli;
mod common;
mod conditional;
mod conv;
mod conv_penalty;
mod data;
mod dcgan;
mod elementwise;
mod errors;
mod fill;
mod flat;
mod folder;
mod generate;
mod losses;
mod matmul;
mod norm;
mod optim;
mod penalty;
mod pool;
mod profile;
mod random;
mod reduce;
mod shaders;
mod spectral;
mod toy;
mod training;
mod uniform_branches;
