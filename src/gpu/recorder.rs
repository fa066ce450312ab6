//! Records dispatches into one pending command encoder and submits them
//! together: no submit per kernel, no readback unless asked.
//!
//! Kernel parameters go into a CPU-side arena, one aligned slot per dispatch,
//! written to a single uniform buffer right before the submit that uses them.
//! `Queue::write_buffer` runs ahead of the commands of the next submit, which
//! is exactly when the arena must hold the slots of those commands.

pub(crate) struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    /// The slots recorded since the last submit, from arena offset `base`.
    params: Vec<u8>,
    base: u64,
    pub arena: wgpu::Buffer,
    pub align: u64,
    pub stats: RecorderStats,
}

/// Counters of recorded work: how batched the schedule is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecorderStats {
    pub dispatches: u64,
    pub submits: u64,
    /// Bind groups created (the others came from the cache).
    pub bind_groups: u64,
}

/// Slots in the params arena, shared by the submits between two `flush`es
/// (see `flush_keeping_slots`); a full arena forces a `flush`.
const ARENA_SLOTS: u64 = 2048;

impl Recorder {
    pub fn new(device: &wgpu::Device, align: u64) -> Self {
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpugan params arena"),
            size: ARENA_SLOTS * align,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self {
            encoder: None,
            params: Vec::new(),
            base: 0,
            arena,
            align,
            stats: RecorderStats::default(),
        }
    }

    /// Reserves a slot for `bytes` and returns its offset in the arena.
    pub fn push_params(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, bytes: &[u8]) -> u64 {
        assert!(
            bytes.len() as u64 <= self.align,
            "kernel params larger than one arena slot"
        );
        if self.base + self.params.len() as u64 + self.align > self.arena.size() {
            self.flush(queue);
        }
        let slot = self.params.len();
        self.stats.dispatches += 1;
        self.params.extend_from_slice(bytes);
        self.params.resize(slot + self.align as usize, 0);
        let _ = self.encoder(device);
        self.base + slot as u64
    }

    pub fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gpugan iteration"),
            })
        })
    }

    /// Submits everything recorded so far (nothing if nothing was recorded);
    /// the next dispatch's params take the arena's first slot, which the
    /// work submitted before has done with by the time the write for the
    /// next submit runs.
    pub fn flush(&mut self, queue: &wgpu::Queue) {
        self.submit(queue);
        self.base = 0;
    }

    /// Submits everything recorded so far, as `flush`, but the next
    /// dispatch's params take the slot after the last one: for a write that
    /// must follow the work recorded before it (`Gpu::write`). Dispatches
    /// then keep the arena offsets, and so the cached bind groups, that
    /// they have without the write, although it comes at a different point
    /// of each training iteration (a new epoch's permutation).
    pub fn flush_keeping_slots(&mut self, queue: &wgpu::Queue) {
        if let Some(bytes) = self.submit(queue) {
            self.base += bytes;
        }
    }

    /// Writes the slots recorded since the last submit and submits: the
    /// slots' bytes, or None if nothing was recorded.
    fn submit(&mut self, queue: &wgpu::Queue) -> Option<u64> {
        let encoder = self.encoder.take()?;
        if !self.params.is_empty() {
            queue.write_buffer(&self.arena, self.base, &self.params);
        }
        queue.submit([encoder.finish()]);
        self.stats.submits += 1;
        let bytes = self.params.len() as u64;
        self.params.clear();
        Some(bytes)
    }
}
