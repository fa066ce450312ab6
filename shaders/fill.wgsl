// fill_forward: out[dst_offset + i] = value          for i < n
// copy_forward: out[dst_offset + i] = src[src_offset + i]   for i < n

struct Params {
    n: u32,
    src_offset: u32,
    dst_offset: u32,
    value: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;

fn element_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

@compute @workgroup_size(WORKGROUP)
fn fill_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i < p.n {
        out[p.dst_offset + i] = p.value;
    }
}

@compute @workgroup_size(WORKGROUP)
fn copy_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i < p.n {
        out[p.dst_offset + i] = src[p.src_offset + i];
    }
}
