// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11).
//
// Element i of a draw is a pure function of (seed, stream, i): invocation j
// encrypts the counter (j, 0, stream_lo, stream_hi) under the key
// (seed_lo, seed_hi) and turns the four 32-bit words into elements 4j..4j+4.
// Runs are reproducible and a resumed run continues the same sequence.
//
//   random_uniform: lo + (hi - lo) · u,  u = (r >> 8 + 1/2) / 2^24 ∈ (0, 1)
//   random_normal:  mean + std · z, z from Box–Muller on pairs of u
// (a, b) are (lo, hi) for uniform and (mean, std) for normal.

struct Params {
    n: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    a: f32,
    b: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const TWO_PI: f32 = 6.283185307179586;

// (high, low) words of the 64-bit product a·b, from 16-bit halves.
fn mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_lo = a_hi * b_lo;
    let hi_hi = a_hi * b_hi;
    let mid = (lo_lo >> 16u) + (lo_hi & 0xFFFFu) + (hi_lo & 0xFFFFu);
    let hi = hi_hi + (lo_hi >> 16u) + (hi_lo >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round++) {
        let p0 = mul_hi_lo(PHILOX_M0, c.x);
        let p1 = mul_hi_lo(PHILOX_M1, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
        k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    return c;
}

fn uniforms(j: u32) -> vec4<f32> {
    let r = philox4x32_10(vec4<u32>(j, 0u, p.stream_lo, p.stream_hi), vec2<u32>(p.seed_lo, p.seed_hi));
    return (vec4<f32>(r >> vec4<u32>(8u)) + 0.5) * (1.0 / 16777216.0);
}

fn block_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

fn store4(j: u32, v: vec4<f32>) {
    for (var t = 0u; t < 4u; t++) {
        let i = 4u * j + t;
        if i < p.n {
            out[i] = v[t];
        }
    }
}

@compute @workgroup_size(WORKGROUP)
fn random_uniform(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let j = block_index(wg, lid, groups);
    if 4u * j >= p.n {
        return;
    }
    store4(j, p.a + (p.b - p.a) * uniforms(j));
}

@compute @workgroup_size(WORKGROUP)
fn random_normal(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let j = block_index(wg, lid, groups);
    if 4u * j >= p.n {
        return;
    }
    let u = uniforms(j);
    let r01 = sqrt(-2.0 * log(u.x));
    let r23 = sqrt(-2.0 * log(u.z));
    let z = vec4<f32>(
        r01 * cos(TWO_PI * u.y),
        r01 * sin(TWO_PI * u.y),
        r23 * cos(TWO_PI * u.w),
        r23 * sin(TWO_PI * u.w),
    );
    store4(j, p.a + p.b * z);
}
