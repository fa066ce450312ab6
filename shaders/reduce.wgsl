// Reductions without barriers. The input is viewed as (outer, len, inner);
// each invocation sums one (outer, inner) column over len, optionally of
// squares, and scales the result:
//   out[o, i] = scale · Σ_l f(x[o·len·inner + l·inner + i]),  f(v) = v or v².
// Indices at or past `total` count as zero, so the host can view a flat
// vector of any length as (1, ceil(n / P), P) and reduce it in two passes.
// Neighbouring invocations read neighbouring inner elements: coalesced when
// inner > 1. (Barriers are slow on lavapipe; see DESIGN.md.)

struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    total: u32,
    scale: f32,
    squares: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;

@compute @workgroup_size(WORKGROUP)
fn reduce_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if id >= p.outer * p.inner {
        return;
    }
    let o = id / p.inner;
    let i = id % p.inner;
    let base = o * p.len * p.inner + i;
    // Four partial sums shorten the dependency chain and the rounding error.
    var s = vec4<f32>(0.0);
    var l = 0u;
    for (; l + 4u <= p.len; l += 4u) {
        var v: vec4<f32>;
        for (var j = 0u; j < 4u; j++) {
            let idx = base + (l + j) * p.inner;
            v[j] = select(0.0, x[min(idx, p.total - 1u)], idx < p.total);
        }
        s += select(v, v * v, p.squares != 0u);
    }
    var tail = 0.0;
    for (; l < p.len; l++) {
        let idx = base + l * p.inner;
        let v = select(0.0, x[min(idx, p.total - 1u)], idx < p.total);
        tail += select(v, v * v, p.squares != 0u);
    }
    out[id] = p.scale * ((s.x + s.y) + (s.z + s.w) + tail);
}
