//! Buffer pool: a dropped tensor's buffer goes back to a free list keyed by
//! (size class, usage) and the next tensor of that class takes it, so repeated
//! work allocates nothing once warm. It also keeps the operand textures of
//! the lavapipe matmul (`operand_texture`), counted in the same statistics.
//!
//! Reuse is safe without fences: every command touching a pooled buffer is
//! recorded in queue order, so a later user of a recycled buffer runs after the
//! earlier ones. The one operation that jumps the queue, `Queue::write_buffer`,
//! is only issued after pending commands are submitted (see `Recorder`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::operand_textures;

/// Sizes are rounded up to this many bytes, so near-equal shapes share buffers
/// and every buffer can be bound as `array<vec4<f32>>`.
const SIZE_CLASS: u64 = 256;

/// Allocation counters. `allocations` stops growing once a workload is warm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers and operand textures created on the device.
    pub allocations: u64,
    /// Buffer requests served from the free lists.
    pub reuses: u64,
    /// Bytes of every buffer (held by tensors or free) and operand texture
    /// the pool created.
    pub bytes_held: u64,
    /// The most bytes held at any time.
    pub peak_bytes_held: u64,
}

type Key = (u64, u32);

#[derive(Default)]
struct PoolState {
    /// Ordered sets, taken lowest first: which buffer a request gets then
    /// depends only on which are free, not on the order tensors were
    /// dropped in, so a repeated iteration binds the same buffers each time
    /// and its bind groups come from the cache (see `bind_groups.rs`).
    free: HashMap<Key, BTreeSet<wgpu::Buffer>>,
    /// Operand textures by (height, index); see `operand_texture`.
    textures: HashMap<(u32, u8), wgpu::TextureView>,
    stats: PoolStats,
}

pub(crate) struct BufferPool {
    device: wgpu::Device,
    state: Mutex<PoolState>,
}

/// A buffer on loan from the pool; returned when dropped.
pub(crate) struct PooledBuffer {
    buffer: Option<wgpu::Buffer>,
    key: Key,
    pool: Arc<BufferPool>,
}

impl BufferPool {
    pub fn new(device: wgpu::Device) -> Arc<Self> {
        Arc::new(Self {
            device,
            state: Mutex::default(),
        })
    }

    pub fn take(self: &Arc<Self>, bytes: u64, usage: wgpu::BufferUsages) -> PooledBuffer {
        let size = bytes.max(1).div_ceil(SIZE_CLASS) * SIZE_CLASS;
        let key = (size, usage.bits());
        let mut state = self.state.lock().unwrap();
        let buffer = match state.free.get_mut(&key).and_then(BTreeSet::pop_first) {
            Some(buffer) => {
                state.stats.reuses += 1;
                buffer
            }
            None => {
                let stats = &mut state.stats;
                stats.allocations += 1;
                stats.bytes_held += size;
                stats.peak_bytes_held = stats.peak_bytes_held.max(stats.bytes_held);
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("gpugan pooled"),
                    size,
                    usage,
                    mapped_at_creation: false,
                })
            }
        };
        PooledBuffer {
            buffer: Some(buffer),
            key,
            pool: Arc::clone(self),
        }
    }

    /// Operand texture `index` (0, 1, …: a dispatch binds one per operand
    /// of that height) of `height` texel rows (a power of two; see
    /// `operand_textures::height`), made on first use and kept: a warm
    /// workload allocates none and binds the same ones each time (its bind
    /// groups stay cached). The caller records its copy into the texture
    /// and the dispatch reading it together, in queue order, as with
    /// pooled buffers.
    pub fn operand_texture(&self, height: u32, index: u8) -> wgpu::TextureView {
        let mut state = self.state.lock().unwrap();
        if let Some(view) = state.textures.get(&(height, index)) {
            return view.clone();
        }
        let width = operand_textures::WIDTH;
        let stats = &mut state.stats;
        stats.allocations += 1;
        stats.bytes_held += u64::from(width) * u64::from(height) * 16;
        stats.peak_bytes_held = stats.peak_bytes_held.max(stats.bytes_held);
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("gpugan matmul operand"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Float,
            // Read as a read-only storage texture, which WebGPU guarantees
            // for rgba32float (see shaders/matmul_lanes8.wgsl for why).
            usage: wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        state.textures.insert((height, index), view.clone());
        view
    }

    pub fn stats(&self) -> PoolStats {
        self.state.lock().unwrap().stats
    }
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer
            .as_ref()
            .expect("pooled buffer present until drop")
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            let mut state = self.pool.state.lock().unwrap();
            state.free.entry(self.key).or_default().insert(buffer);
        }
    }
}
