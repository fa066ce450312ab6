//! Adapter choice: `--backend` / `--adapter` flags, wgpu's `WGPU_BACKEND` and
//! `WGPU_ADAPTER_NAME` environment variables, and a ranking that prefers real
//! GPUs and native APIs over software and GL.

use super::context::MatmulKernels;
use crate::error::{Error, Result};

/// What the user asked for. Flags win over the environment variables.
#[derive(Clone, Debug, Default)]
pub struct AdapterChoice {
    /// `vulkan`, `metal`, `dx12` or `gl` (a comma list is accepted too).
    pub backend: Option<String>,
    /// Case-insensitive substring of the adapter name.
    pub adapter: Option<String>,
    /// The matmul kernels to run: the adapter's own unless one family is
    /// forced (`Gpu::set_matmul_kernels`).
    pub matmul: MatmulKernels,
}

/// Forces a family of matmul kernels where the flag does not: run the
/// whole test suite on lavapipe through a GPU's kernels with
/// `GPUGAN_MATMUL=workgroup cargo test --release`.
pub const MATMUL_ENV: &str = "GPUGAN_MATMUL";

impl AdapterChoice {
    /// The backends to enumerate: the flag, else `WGPU_BACKEND`, else all.
    pub fn backends(&self) -> Result<wgpu::Backends> {
        let Some(list) = self
            .backend
            .clone()
            .or_else(|| std::env::var("WGPU_BACKEND").ok())
        else {
            return Ok(wgpu::Backends::all());
        };
        let mut backends = wgpu::Backends::empty();
        for name in list.split(',').map(|s| s.trim().to_lowercase()) {
            backends |= match name.as_str() {
                "vulkan" | "vk" => wgpu::Backends::VULKAN,
                "metal" | "mtl" => wgpu::Backends::METAL,
                "dx12" | "d3d12" => wgpu::Backends::DX12,
                "gl" | "gles" | "opengl" => wgpu::Backends::GL,
                other => {
                    return Err(Error::Invalid {
                        op: "--backend",
                        reason: format!(
                            "unknown backend '{other}': expected vulkan, metal, dx12 or gl"
                        ),
                    });
                }
            };
        }
        Ok(backends)
    }

    /// The matmul kernels: the flag where it forces a family, else
    /// `GPUGAN_MATMUL` (adapter, registers or workgroup), else the
    /// adapter's own.
    pub fn matmul_kernels(&self) -> Result<MatmulKernels> {
        if self.matmul != MatmulKernels::Adapter {
            return Ok(self.matmul);
        }
        let Ok(value) = std::env::var(MATMUL_ENV) else {
            return Ok(MatmulKernels::Adapter);
        };
        <MatmulKernels as clap::ValueEnum>::from_str(value.trim(), true).map_err(|_| {
            Error::Invalid {
                op: MATMUL_ENV,
                reason: format!(
                    "unknown matmul kernels '{value}': expected adapter, registers or workgroup"
                ),
            }
        })
    }

    /// The adapter-name filter: the flag, else `WGPU_ADAPTER_NAME`.
    pub fn name_filter(&self) -> Option<String> {
        self.adapter
            .clone()
            .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
            .map(|s| s.to_lowercase())
    }
}

/// One adapter as `gpugan info` shows it.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub compute: bool,
    pub chosen: bool,
}

impl std::fmt::Display for AdapterReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.info;
        let l = &self.limits;
        let mark = if self.chosen { "*" } else { " " };
        writeln!(
            f,
            "{mark} {} ({:?}, {:?})",
            i.name, i.backend, i.device_type
        )?;
        writeln!(f, "    driver: {} {}", i.driver, i.driver_info)?;
        if !self.compute {
            writeln!(f, "    no compute shaders: gpugan cannot use this adapter")?;
        }
        writeln!(
            f,
            "    workgroup size max: {}x{}x{}, invocations max: {}",
            l.max_compute_workgroup_size_x,
            l.max_compute_workgroup_size_y,
            l.max_compute_workgroup_size_z,
            l.max_compute_invocations_per_workgroup
        )?;
        write!(
            f,
            "    storage binding max: {} MiB, buffer max: {} MiB, workgroup memory: {} KiB",
            l.max_storage_buffer_binding_size >> 20,
            l.max_buffer_size >> 20,
            l.max_compute_workgroup_storage_size >> 10
        )
    }
}

fn supports_compute(adapter: &wgpu::Adapter) -> bool {
    adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
}

/// Higher is better: real GPUs first, then native APIs over GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let device = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 4,
        wgpu::DeviceType::IntegratedGpu => 3,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 1,
        wgpu::DeviceType::Cpu => 0,
    };
    let api = u8::from(info.backend != wgpu::Backend::Gl);
    (device, api)
}

pub(crate) fn new_instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

const INSTALL_HINT: &str = "On Linux without a GPU install Mesa's lavapipe \
(Debian/Ubuntu: `apt-get install mesa-vulkan-drivers libvulkan1`); on macOS Metal is built in; \
on Windows install your GPU vendor's driver (DX12 or Vulkan).";

/// Picks the adapter gpugan will use, or explains why there is none.
pub(crate) fn choose_adapter(
    instance: &wgpu::Instance,
    choice: &AdapterChoice,
) -> Result<wgpu::Adapter> {
    let backends = choice.backends()?;
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    if adapters.is_empty() {
        return Err(Error::NoAdapter(format!(
            "no GPU adapter found for backends {backends:?}. {INSTALL_HINT}"
        )));
    }
    let filter = choice.name_filter();
    let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
    let best = adapters
        .into_iter()
        .filter(supports_compute)
        .filter(|a| {
            filter
                .as_ref()
                .is_none_or(|f| a.get_info().name.to_lowercase().contains(f))
        })
        .max_by_key(|a| rank(&a.get_info()));
    best.ok_or_else(|| {
        let wanted = filter.map_or(String::new(), |f| format!(" whose name contains '{f}'"));
        Error::NoAdapter(format!(
            "no adapter with compute shaders{wanted}; found: {}. {INSTALL_HINT}",
            names.join(", ")
        ))
    })
}

/// Every adapter of the chosen backends, the one gpugan would use marked.
pub fn list_adapters(choice: &AdapterChoice) -> Result<Vec<AdapterReport>> {
    let backends = choice.backends()?;
    let instance = new_instance(backends);
    let chosen = choose_adapter(&instance, choice).ok().map(|a| a.get_info());
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    Ok(adapters
        .iter()
        .map(|a| {
            let info = a.get_info();
            AdapterReport {
                chosen: chosen.as_ref() == Some(&info),
                limits: a.limits(),
                compute: supports_compute(a),
                info,
            }
        })
        .collect())
}
