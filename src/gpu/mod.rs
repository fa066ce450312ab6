//! GPU runtime: adapter choice, device, pooled buffers, tensors, the pipeline
//! cache and the kernel launchers.

mod adapter;
mod bind_groups;
mod buffer_pool;
mod context;
pub mod kernels;
mod operand_textures;
mod pipelines;
mod recorder;
pub mod shaders;
mod tensor;

pub use adapter::{AdapterChoice, AdapterReport, list_adapters};
pub use buffer_pool::PoolStats;
pub use context::{Gpu, KernelTime, MatmulKernels, Profile};
pub use pipelines::Kernel;
pub use recorder::RecorderStats;
pub use tensor::{Tensor, VIEW_ALIGN};
