// fill_forward: out[dst_offset + i] = value                                for i < n
// copy_forward: out[dst_offset + i] = src[src_offset + (i / div) % period]  for i < n
//
// With div = 1, period = n copy_forward is a plain copy; period = N tiles a
// row vector over rows (broadcast a bias); div = D repeats each element D
// times (broadcast a per-sample scalar over its features).

struct Params {
    n: u32,
    src_offset: u32,
    dst_offset: u32,
    value: f32,
    div: u32,
    period: u32,
    // copy_block only: row strides of src and out.
    src_stride: u32,
    dst_stride: u32,
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
        out[p.dst_offset + i] = src[p.src_offset + (i / p.div) % p.period];
    }
}

// A rows × cols block between row-major matrices of other widths (div =
// cols): concatenating columns and slicing them back out.
@compute @workgroup_size(WORKGROUP)
fn copy_block(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i < p.n {
        let r = i / p.div;
        let c = i % p.div;
        out[p.dst_offset + r * p.dst_stride + c] = src[p.src_offset + r * p.src_stride + c];
    }
}
