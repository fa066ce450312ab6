// 2-D toy distributions of the WGAN-GP paper (Gulrajani et al. 2017, toy
// code), built from random draws made by random.wgsl: `u` holds one U(0,1)
// per sample (which mode / where on the roll), `noise` two N(0,1) per sample.
//
//   KIND 0, 8 gaussians:  centre 2·(cos kπ/4, sin kπ/4), σ 0.02, all / √2
//   KIND 1, 25 gaussians: centre 2·(i − 2, j − 2), σ 0.05, all / 2√2
//   KIND 2, swiss roll:   t = 1.5π(1 + 2u), (t cos t, t sin t) + 0.25·noise, all / 7.5
// Its CPU twin with the same constants: tests/reference/toy.rs.

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// The distribution, a pipeline constant, not a uniform (no shader branches
// on uniforms alone: tests/suite/uniform_branches.rs).
override KIND: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> noise: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;
const PI: f32 = 3.141592653589793;

@compute @workgroup_size(WORKGROUP)
fn toy_sample(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if i >= p.n {
        return;
    }
    let e = vec2<f32>(noise[2u * i], noise[2u * i + 1u]);
    var point: vec2<f32>;
    switch KIND {
        case 0u: {
            let k = min(u32(u[i] * 8.0), 7u);
            let angle = f32(k) * (PI / 4.0);
            point = (2.0 * vec2<f32>(cos(angle), sin(angle)) + 0.02 * e) / 1.4142135623730951;
        }
        case 1u: {
            let k = min(u32(u[i] * 25.0), 24u);
            let centre = 2.0 * vec2<f32>(f32(k / 5u) - 2.0, f32(k % 5u) - 2.0);
            point = (centre + 0.05 * e) / 2.8284271247461903;
        }
        default: {
            let t = 1.5 * PI * (1.0 + 2.0 * u[i]);
            point = (t * vec2<f32>(cos(t), sin(t)) + 0.25 * e) / 7.5;
        }
    }
    out[2u * i] = point.x;
    out[2u * i + 1u] = point.y;
}
