// The gradient penalty's chain after the per-sample squared norms
// s_i = Σ g_i² (reduce.wgsl's sum of squares per row), for a batch of
// `rows` gradients of `row_len` values each:
//
//   penalty_forward   out[0] = λ/B · Σ_i (√(s_i + ε) − 1)²
//   penalty_backward  out[i, j] = up · 2λ/B · (1 − 1/√(s_i + ε)) · g[i, j]
//
// One kernel each instead of the shift, sqrt, shift, square, mean and scale
// passes (and their backward passes) of the composed form. The backward is
// a first derivative only: the penalty is a loss, never differentiated twice.

struct Params {
    rows: u32,
    row_len: u32,
    lambda: f32,
    eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> sq: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WORKGROUP: u32 = 256u;

// One invocation: a batch has tens to thousands of rows.
@compute @workgroup_size(1)
fn penalty_forward() {
    var acc = 0.0;
    for (var i = 0u; i < p.rows; i++) {
        let d = sqrt(sq[i] + p.eps) - 1.0;
        acc = fma(d, d, acc);
    }
    out[0] = p.lambda * acc / f32(p.rows);
}

@compute @workgroup_size(WORKGROUP)
fn penalty_backward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id = (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
    if id >= p.rows * p.row_len {
        return;
    }
    let s = sq[id / p.row_len];
    let coef = up[0] * 2.0 * p.lambda / f32(p.rows) * (1.0 - 1.0 / sqrt(s + p.eps));
    out[id] = coef * g[id];
}
