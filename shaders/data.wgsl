// gather_images: a batch of images from a data set held on the GPU as bytes.
//   out[b, p] = bytes[order[(offset + b) mod count] · image_len + p] / 127.5 − 1
// Pixels are packed four to a u32, little-endian; `order` is the epoch's
// permutation of 0..count (drawn on the host from the seed, uploaded once
// per epoch). Pixels land in [−1, 1] as the generator's tanh produces.

struct Params {
    batch: u32,
    image_len: u32,
    offset: u32,
    count: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> bytes: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;

@compute @workgroup_size(WORKGROUP)
fn gather_images(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if i >= p.batch * p.image_len {
        return;
    }
    let image = order[(p.offset + i / p.image_len) % p.count];
    let byte = image * p.image_len + i % p.image_len;
    let value = (bytes[byte / 4u] >> (8u * (byte % 4u))) & 0xFFu;
    out[i] = f32(value) / 127.5 - 1.0;
}

// ------------------------------------------------------------ class labels
// Both write one-hot rows: out [batch, classes], with image_len = classes.

@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read> u: array<f32>;

// The labels of the images gather_images takes at the same offset.
@compute @workgroup_size(WORKGROUP)
fn gather_onehot(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if i >= p.batch * p.image_len {
        return;
    }
    let image = order[(p.offset + i / p.image_len) % p.count];
    out[i] = select(0.0, 1.0, labels[image] == i % p.image_len);
}

// Class k = min(⌊u·classes⌋, classes − 1) from u ~ U(0, 1): uniform classes,
// and the same k toy_sample picks for its mode from the same u.
@compute @workgroup_size(WORKGROUP)
fn onehot_from_uniform(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if i >= p.batch * p.image_len {
        return;
    }
    let k = min(u32(u[i / p.image_len] * f32(p.image_len)), p.image_len - 1u);
    out[i] = select(0.0, 1.0, k == i % p.image_len);
}
