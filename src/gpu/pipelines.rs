//! Pipeline cache keyed by (shader, entry point, override constants): each
//! pipeline is compiled once per device and reused by every launch.

use std::collections::HashMap;
use std::sync::Mutex;

use super::shaders::Shader;

/// One compute entry point with its pipeline-overridable constants.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    pub shader: Shader,
    pub entry: &'static str,
    pub constants: Vec<(&'static str, f64)>,
}

impl Kernel {
    pub fn new(shader: Shader, entry: &'static str) -> Self {
        Self {
            shader,
            entry,
            constants: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: f64) -> Self {
        self.constants.push((name, value));
        self
    }

    /// The entry point and its override constants, as a profile names it:
    /// `matmul_forward_lanes8 A_CONV=1`.
    pub fn label(&self) -> String {
        let mut label = self.entry.to_string();
        for (name, value) in &self.constants {
            label += &format!(" {name}={value}");
        }
        label
    }

    fn key(&self) -> PipelineKey {
        let constants = self
            .constants
            .iter()
            .map(|&(n, v)| (n, v.to_bits()))
            .collect();
        (self.shader, self.entry, constants)
    }
}

type PipelineKey = (Shader, &'static str, Vec<(&'static str, u64)>);

#[derive(Default)]
pub(crate) struct PipelineCache {
    modules: Mutex<HashMap<Shader, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<PipelineKey, wgpu::ComputePipeline>>,
}

impl PipelineCache {
    pub fn get(&self, device: &wgpu::Device, kernel: &Kernel) -> wgpu::ComputePipeline {
        let key = kernel.key();
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return p.clone();
        }
        let module = self.module(device, kernel.shader);
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.entry),
            layout: None,
            module: &module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &kernel.constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        self.pipelines.lock().unwrap().insert(key, pipeline.clone());
        pipeline
    }

    pub fn len(&self) -> usize {
        self.pipelines.lock().unwrap().len()
    }

    fn module(&self, device: &wgpu::Device, shader: Shader) -> wgpu::ShaderModule {
        let mut modules = self.modules.lock().unwrap();
        modules
            .entry(shader)
            .or_insert_with(|| {
                let desc = wgpu::ShaderModuleDescriptor {
                    label: Some(shader.file_name()),
                    source: wgpu::ShaderSource::Wgsl(shader.source().into()),
                };
                if shader.runtime_bounds_checks() {
                    device.create_shader_module(desc)
                } else {
                    // SAFETY: this shader clamps or guards every index it
                    // computes (see `Shader::runtime_bounds_checks`); the
                    // kernel tests cover ragged shapes at every edge.
                    unsafe {
                        device.create_shader_module_trusted(
                            desc,
                            wgpu::ShaderRuntimeChecks::unchecked(),
                        )
                    }
                }
            })
            .clone()
    }
}
