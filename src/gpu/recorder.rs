//! Records dispatches into one pending command encoder and submits them
//! together: no submit per kernel, no readback unless asked.
//!
//! Kernel parameters go into a CPU-side arena, one aligned slot per dispatch,
//! written to a single uniform buffer right before the submit that uses them.
//! `Queue::write_buffer` runs ahead of the commands of the next submit, which
//! is exactly when the arena must hold the slots of those commands.

pub(crate) struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    params: Vec<u8>,
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

/// Slots in the params arena per submission; a full arena forces a submit.
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
        if self.params.len() as u64 + self.align > self.arena.size() {
            self.flush(queue);
        }
        let offset = self.params.len() as u64;
        self.stats.dispatches += 1;
        self.params.extend_from_slice(bytes);
        self.params.resize((offset + self.align) as usize, 0);
        let _ = self.encoder(device);
        offset
    }

    pub fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gpugan iteration"),
            })
        })
    }

    /// Submits everything recorded so far (nothing if nothing was recorded).
    pub fn flush(&mut self, queue: &wgpu::Queue) {
        if let Some(encoder) = self.encoder.take() {
            if !self.params.is_empty() {
                queue.write_buffer(&self.arena, 0, &self.params);
            }
            queue.submit([encoder.finish()]);
            self.stats.submits += 1;
            self.params.clear();
        }
    }
}
