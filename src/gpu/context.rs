//! `Gpu`: the device, queue, buffer pool, pipeline cache and the recorder that
//! batches dispatches. Cheap to clone; tests share one per process.

use std::sync::{Arc, Mutex};

use super::adapter::{AdapterChoice, choose_adapter, new_instance};
use super::bind_groups::BindGroupCache;
use super::buffer_pool::{BufferPool, PoolStats};
use super::operand_textures;
use super::pipelines::{Kernel, PipelineCache};
use super::recorder::{Recorder, RecorderStats};
use super::tensor::Tensor;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Gpu {
    inner: Arc<Inner>,
}

struct Inner {
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pool: Arc<BufferPool>,
    pipelines: PipelineCache,
    recorder: Mutex<Recorder>,
    bind_groups: BindGroupCache,
    /// Per-kernel wall time when profiling (see `Gpu::start_profiling`).
    profile: Mutex<Option<Profile>>,
    /// See `Gpu::set_matmul_kernels`.
    matmul_kernels: Mutex<MatmulKernels>,
}

/// Which family of matmul kernels a device runs on shapes that allow the
/// fast ones (M, N and K multiples of 4): each adapter's own, or one forced
/// so that tests and benches can run every family on one adapter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MatmulKernels {
    /// The adapter's own: lanes8 on lavapipe, workgroup-memory tiles on
    /// GPUs, register tiles on other CPU adapters
    #[default]
    Adapter,
    /// Register tiles without workgroup memory (matmul_forward_vec4)
    Registers,
    /// Workgroup-memory tiles (matmul_tiled), on CPU adapters too, where
    /// they are slow
    Workgroup,
}

/// Seconds and launches per kernel (entry point and override constants),
/// from running every dispatch on its own (submit and wait): slow, for
/// finding where time goes.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub kernels: std::collections::BTreeMap<String, KernelTime>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct KernelTime {
    pub seconds: f64,
    pub launches: u64,
    /// The first launch's seconds: with the profile started before the
    /// kernel's first use, this includes building its pipeline and any
    /// compile the driver leaves to the first launch (lavapipe's).
    pub first: f64,
}

impl KernelTime {
    /// Adds one launch of `seconds`.
    pub fn record(&mut self, seconds: f64) {
        if self.launches == 0 {
            self.first = seconds;
        }
        self.seconds += seconds;
        self.launches += 1;
    }
}

impl Profile {
    /// Kernels by total time, largest first, one line each.
    pub fn report(&self) -> String {
        let mut rows: Vec<_> = self.kernels.iter().collect();
        rows.sort_by(|a, b| b.1.seconds.total_cmp(&a.1.seconds));
        let total: f64 = rows.iter().map(|r| r.1.seconds).sum();
        let mut s = format!("{total:.3} s in {} kernels\n", rows.len());
        for (name, t) in rows {
            s += &format!(
                "{name:<40} {:8.3} s {:5.1}% {:7} launches {:9.1} µs each, first {:7.1} ms\n",
                t.seconds,
                100.0 * t.seconds / total.max(1e-12),
                t.launches,
                1e6 * t.seconds / t.launches as f64,
                1e3 * t.first,
            );
        }
        s
    }
}

const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);
const STAGING_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);

impl Gpu {
    /// Opens the adapter `choice` selects (see `AdapterChoice`).
    pub fn new(choice: &AdapterChoice) -> Result<Self> {
        let instance = new_instance(choice.backends()?);
        let matmul_kernels = choice.matmul_kernels()?;
        let adapter = choose_adapter(&instance, choice)?;
        let info = adapter.get_info();
        // Ask for everything the adapter offers: large storage buffers matter
        // more here than portability of the limits themselves.
        let limits = adapter.limits();
        // Subgroups only serve the lavapipe matmul (see `lanes8`).
        let features = adapter.features() & wgpu::Features::SUBGROUP;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpugan"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Device {
            adapter: info.name.clone(),
            reason: e.to_string(),
        })?;
        let align = u64::from(limits.min_uniform_buffer_offset_alignment).max(256);
        Ok(Self {
            inner: Arc::new(Inner {
                pool: BufferPool::new(device.clone()),
                recorder: Mutex::new(Recorder::new(&device, align)),
                bind_groups: BindGroupCache::default(),
                pipelines: PipelineCache::default(),
                profile: Mutex::new(None),
                matmul_kernels: Mutex::new(matmul_kernels),
                info,
                limits,
                device,
                queue,
            }),
        })
    }

    pub fn info(&self) -> &wgpu::AdapterInfo {
        &self.inner.info
    }

    pub fn limits(&self) -> &wgpu::Limits {
        &self.inner.limits
    }

    pub fn is_cpu(&self) -> bool {
        self.inner.info.device_type == wgpu::DeviceType::Cpu
    }

    /// A CPU adapter whose subgroups are always 8 lanes (lavapipe on AVX2):
    /// the matmul takes `matmul_lanes8.wgsl` there. Its workgroups of 8
    /// invocations are then exactly one subgroup, which its shuffles need.
    pub fn lanes8(&self) -> bool {
        let info = &self.inner.info;
        self.is_cpu()
            && self
                .inner
                .device
                .features()
                .contains(wgpu::Features::SUBGROUP)
            && info.subgroup_min_size == 8
            && info.subgroup_max_size == 8
            && self.matmul_kernels() == MatmulKernels::Adapter
    }

    /// Whether vec4 matmuls stage their operands in workgroup memory
    /// (`matmul_tiled` in shaders/matmul.wgsl): on adapters that are not
    /// CPUs, where it is what feeds the ALUs; CPU adapters run barriers
    /// slowly (DESIGN.md) and keep the register tiles.
    pub fn workgroup_tiles(&self) -> bool {
        match self.matmul_kernels() {
            MatmulKernels::Adapter => !self.is_cpu(),
            MatmulKernels::Registers => false,
            MatmulKernels::Workgroup => true,
        }
    }

    /// The matmul family this device runs, for reports.
    pub fn matmul_family(&self) -> &'static str {
        if self.lanes8() {
            "lanes8"
        } else if self.workgroup_tiles() {
            "workgroup tiles"
        } else {
            "register tiles"
        }
    }

    /// The family this device was told to run (`Adapter` unless forced).
    pub fn matmul_kernels(&self) -> MatmulKernels {
        *self.inner.matmul_kernels.lock().unwrap()
    }

    /// Keeps the adapter's own matmul kernels (the default) or forces one
    /// family, so that tests and benches can run each on one adapter.
    pub fn set_matmul_kernels(&self, kernels: MatmulKernels) {
        *self.inner.matmul_kernels.lock().unwrap() = kernels;
    }

    pub fn pool_stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Dispatches recorded and submissions made so far.
    pub fn recorder_stats(&self) -> RecorderStats {
        self.inner.recorder.lock().unwrap().stats
    }

    /// From now on every dispatch is submitted and waited for on its own and
    /// its time charged to its kernel (`Kernel::label`), until `take_profile`.
    pub fn start_profiling(&self) -> Result<()> {
        self.sync()?;
        *self.inner.profile.lock().unwrap() = Some(Profile::default());
        Ok(())
    }

    /// Stops profiling and returns what was measured.
    pub fn take_profile(&self) -> Option<Profile> {
        self.inner.profile.lock().unwrap().take()
    }

    /// Number of distinct pipelines compiled so far.
    pub fn pipeline_count(&self) -> usize {
        self.inner.pipelines.len()
    }

    /// A tensor with unspecified contents (a recycled buffer, possibly stale).
    pub fn empty(&self, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n == 0 {
            return Err(Error::Invalid {
                op: "tensor",
                reason: format!("shape {shape:?} has no elements"),
            });
        }
        let bytes = (n * 4) as u64;
        let max = self.inner.limits.max_storage_buffer_binding_size;
        if bytes > max {
            return Err(Error::Invalid {
                op: "tensor",
                reason: format!(
                    "shape {shape:?} needs {bytes} bytes; the adapter binds at most {max}"
                ),
            });
        }
        Ok(Tensor::new(
            self.inner.pool.take(bytes, TENSOR_USAGE),
            shape.to_vec(),
        ))
    }

    /// Uploads `data` as a tensor of `shape`.
    pub fn upload(&self, data: &[f32], shape: &[usize]) -> Result<Tensor> {
        let t = self.empty(shape)?;
        crate::error::expect_shape("upload", "element count", &[t.len()], &[data.len()])?;
        // Pending commands may still use the recycled buffer: submit them first,
        // since write_buffer runs ahead of anything recorded but not submitted.
        let mut rec = self.inner.recorder.lock().unwrap();
        rec.flush_keeping_slots(&self.inner.queue);
        self.inner
            .queue
            .write_buffer(t.buffer(), t.offset_bytes(), bytemuck::cast_slice(data));
        Ok(t)
    }

    /// Overwrites `t` with `data` (same element count), in order with the
    /// work recorded before it.
    pub fn write(&self, t: &Tensor, data: &[f32]) -> Result<()> {
        crate::error::expect_shape("write", "element count", &[t.len()], &[data.len()])?;
        // write_buffer runs ahead of recorded work: submit that work first.
        let mut rec = self.inner.recorder.lock().unwrap();
        rec.flush_keeping_slots(&self.inner.queue);
        self.inner
            .queue
            .write_buffer(t.buffer(), t.offset_bytes(), bytemuck::cast_slice(data));
        Ok(())
    }

    /// Copies `src` into `dst` (as many elements), in order with the work
    /// recorded around it: a copy command, not a dispatch.
    pub fn copy_into(&self, src: &Tensor, dst: &Tensor) -> Result<()> {
        crate::error::expect_shape("copy", "element count", &[dst.len()], &[src.len()])?;
        let mut rec = self.inner.recorder.lock().unwrap();
        rec.encoder(&self.inner.device).copy_buffer_to_buffer(
            src.buffer(),
            src.offset_bytes(),
            dst.buffer(),
            dst.offset_bytes(),
            4 * src.len() as u64,
        );
        Ok(())
    }

    /// Reads a tensor back to the host, waiting for every pending command.
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        let bytes = (t.len() * 4) as u64;
        let staging = self.inner.pool.take(bytes, STAGING_USAGE);
        {
            let mut rec = self.inner.recorder.lock().unwrap();
            rec.encoder(&self.inner.device).copy_buffer_to_buffer(
                t.buffer(),
                t.offset_bytes(),
                staging.buffer(),
                0,
                bytes,
            );
            rec.flush(&self.inner.queue);
        }
        let slice = staging.buffer().slice(..bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|e| Error::Readback(e.to_string()))?
            .map_err(|e| Error::Readback(e.to_string()))?;
        let data = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Readback(e.to_string()))?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        staging.buffer().unmap();
        Ok(data)
    }

    /// Submits pending work without waiting for it.
    pub fn submit(&self) {
        self.inner.recorder.lock().unwrap().flush(&self.inner.queue);
    }

    /// Submits pending work and blocks until the GPU has finished it.
    pub fn sync(&self) -> Result<()> {
        self.submit();
        self.wait()
    }

    fn wait(&self) -> Result<()> {
        self.inner
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Readback(e.to_string()))
    }

    /// Height of the operand texture an operand of `len` values takes, or
    /// None past the adapter's texture size.
    pub(crate) fn operand_texture_height(&self, len: usize) -> Option<u32> {
        operand_textures::height(&self.inner.limits, len)
    }

    /// Records one dispatch of `kernel`. Binding 0 is the params uniform,
    /// the storage buffers sit at the bindings given. Submitted with the next flush.
    pub(crate) fn dispatch<P: bytemuck::Pod>(
        &self,
        kernel: &Kernel,
        params: &P,
        buffers: &[(u32, &Tensor)],
        workgroups: [u32; 3],
    ) {
        self.dispatch_with_operand_textures(kernel, params, buffers, &[], workgroups);
    }

    /// `dispatch` that first copies each of `operands` (binding, tensor of
    /// a multiple of 4 values that `operand_texture_height` fits) into an
    /// operand texture (see `operand_textures.rs`) and binds that texture
    /// there. The copies and the dispatch are recorded under one hold of
    /// the recorder, so no other thread's copy into the same texture lands
    /// between them.
    pub(crate) fn dispatch_with_operand_textures<P: bytemuck::Pod>(
        &self,
        kernel: &Kernel,
        params: &P,
        buffers: &[(u32, &Tensor)],
        operands: &[(u32, &Tensor)],
        workgroups: [u32; 3],
    ) {
        let inner = &*self.inner;
        // Timed for profiles: a new pipeline is built here (a GPU driver
        // compiles it; lavapipe translates it, and compiles at its launch).
        let build_start = std::time::Instant::now();
        let pipeline = inner.pipelines.get(&inner.device, kernel);
        let build = build_start.elapsed();
        let heights: Vec<u32> = operands
            .iter()
            .map(|(_, t)| {
                self.operand_texture_height(t.len())
                    .expect("operand fits a texture")
            })
            .collect();
        // Operands of one height take textures 0, 1, … of that height.
        let views: Vec<(u32, wgpu::TextureView)> = operands
            .iter()
            .enumerate()
            .map(|(i, &(binding, _))| {
                let h = heights[i];
                let index = heights[..i].iter().filter(|&&e| e == h).count();
                (binding, inner.pool.operand_texture(h, index as u8))
            })
            .collect();
        let mut rec = inner.recorder.lock().unwrap();
        for (&(_, t), (_, view)) in operands.iter().zip(&views) {
            operand_textures::record_copy(rec.encoder(&inner.device), t, view);
        }
        let textures: Vec<(u32, &wgpu::TextureView)> = views.iter().map(|(b, v)| (*b, v)).collect();
        let bytes = bytemuck::bytes_of(params);
        let offset = rec.push_params(&inner.device, &inner.queue, bytes);
        let size = (bytes.len() as u64).div_ceil(16) * 16;
        let mut created = false;
        let bind_group = inner.bind_groups.get(
            &inner.device,
            &pipeline,
            kernel.entry,
            (&rec.arena, offset, size),
            (buffers, &textures),
            || created = true,
        );
        rec.stats.bind_groups += u64::from(created);
        let encoder = rec.encoder(&inner.device);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(kernel.entry),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        drop(pass);
        if let Some(profile) = inner.profile.lock().unwrap().as_mut() {
            let start = std::time::Instant::now();
            rec.flush(&inner.queue);
            drop(rec);
            // Profiling is a diagnostic: a lost device shows up at the next sync.
            let _ = self.wait();
            let name = if std::env::var_os("GPUGAN_PROFILE_GRID").is_some() {
                format!("{} {:?}", kernel.label(), workgroups)
            } else {
                kernel.label()
            };
            let seconds = (build + start.elapsed()).as_secs_f64();
            profile.kernels.entry(name).or_default().record(seconds);
        }
    }

    /// Workgroup counts covering `invocations` with `workgroup_size` each,
    /// spilling into y past the 65,535-per-dimension limit.
    pub(crate) fn grid(&self, invocations: usize, workgroup_size: u32) -> [u32; 3] {
        let groups = invocations.div_ceil(workgroup_size as usize).max(1) as u32;
        let max_x = self.inner.limits.max_compute_workgroups_per_dimension;
        if groups <= max_x {
            [groups, 1, 1]
        } else {
            [max_x, groups.div_ceil(max_x), 1]
        }
    }
}
