//! Command-line interface: parse, build the request, call into the library.

use clap::{Args, Parser, Subcommand};

use gpugan::AdapterChoice;

#[derive(Parser, Debug)]
#[command(
    name = "gpugan",
    version,
    about = "Train GANs with WGSL compute kernels on any GPU"
)]
pub struct Cli {
    #[command(flatten)]
    pub adapter: AdapterArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct AdapterArgs {
    /// Graphics API: vulkan, metal, dx12 or gl (default: all; env WGPU_BACKEND)
    #[arg(long, global = true)]
    pub backend: Option<String>,
    /// Use the adapter whose name contains this text (env WGPU_ADAPTER_NAME)
    #[arg(long, global = true)]
    pub adapter: Option<String>,
}

impl AdapterArgs {
    pub fn choice(&self) -> AdapterChoice {
        AdapterChoice {
            backend: self.backend.clone(),
            adapter: self.adapter.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every adapter with the limits that matter; `*` marks the one gpugan uses
    Info,
}
