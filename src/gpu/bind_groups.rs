//! Bind groups cached by what they bind: a training iteration records the
//! same dispatches on the same pooled buffers, at the same params-arena
//! offsets, every time, so after the first iteration every bind group is
//! found here instead of created (`RecorderStats::bind_groups` counts the
//! ones created).

use std::collections::HashMap;
use std::sync::Mutex;

use super::Tensor;

/// (pipeline, params offset, params size, per buffer binding: index,
/// buffer, offset, size or whole; per texture binding: index, view).
type Key = (
    wgpu::ComputePipeline,
    u64,
    u64,
    Vec<(u32, wgpu::Buffer, u64, Option<u64>)>,
    Vec<(u32, wgpu::TextureView)>,
);

/// Storage buffers and texture views by binding index.
pub(crate) type Resources<'a> = (&'a [(u32, &'a Tensor)], &'a [(u32, &'a wgpu::TextureView)]);

/// Past this many entries the cache starts over: a workload that keeps
/// binding new combinations (sampling at many sizes) must not grow it
/// without bound; a training iteration needs about one per dispatch.
const MAX_ENTRIES: usize = 16_384;

#[derive(Default)]
pub(crate) struct BindGroupCache {
    map: Mutex<HashMap<Key, wgpu::BindGroup>>,
}

impl BindGroupCache {
    /// The bind group of `pipeline` with the params slot at binding 0 and
    /// `buffers` and `textures` at theirs; `created` is called when it had
    /// to be made.
    pub fn get(
        &self,
        device: &wgpu::Device,
        pipeline: &wgpu::ComputePipeline,
        label: &str,
        (arena, offset, size): (&wgpu::Buffer, u64, u64),
        (buffers, textures): Resources,
        created: impl FnOnce(),
    ) -> wgpu::BindGroup {
        let key: Key = (
            pipeline.clone(),
            offset,
            size,
            buffers
                .iter()
                .map(|&(b, t)| {
                    let (off, len) = t.binding_range();
                    (b, t.buffer().clone(), off, len)
                })
                .collect(),
            textures
                .iter()
                .map(|&(b, view)| (b, view.clone()))
                .collect(),
        );
        let mut map = self.map.lock().unwrap();
        if let Some(group) = map.get(&key) {
            return group.clone();
        }
        created();
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: arena,
                offset,
                size: wgpu::BufferSize::new(size),
            }),
        }];
        entries.extend(buffers.iter().map(|&(binding, t)| wgpu::BindGroupEntry {
            binding,
            resource: t.binding(),
        }));
        entries.extend(
            textures
                .iter()
                .map(|&(binding, view)| wgpu::BindGroupEntry {
                    binding,
                    resource: wgpu::BindingResource::TextureView(view),
                }),
        );
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, group.clone());
        group
    }
}
