// Batch normalisation in training mode over x [B, C, H, W], per channel c
// with N = B·H·W values (torch.nn.BatchNorm2d; BatchNorm1d as H = W = 1):
//
//   batch_norm_stats        mean_c, invstd_c = 1/√(var_c + eps) (biased
//                           variance); running_mean, running_var updated
//                           with `momentum` and the unbiased variance
//                           (batch_norm_stats_vec4: the same where the
//                           plane is a multiple of 4)
//   batch_norm_apply        y = act((x − mean_c)·invstd_c·γ_c + β_c), the
//                           activation applied in the same pass (codes of
//                           src/gpu/kernels/matmul.rs; its backward is the
//                           autograd op's, from y); _vec4 and _quads: four
//                           values an invocation, _vec4x4 sixteen
//   batch_norm_grad_params  dβ_c = Σ dy, dγ_c = Σ dy·x̂   (x̂ = (x − mean)·invstd)
//   batch_norm_grad_input   dx = γ_c·invstd_c/N · (N·dy − dβ_c − x̂·dγ_c)
//
// Two kernels forward and two backward, instead of the ~28 reductions,
// broadcasts and elementwise passes of the composed form. The per-channel
// kernels run one invocation per channel, looping over the N values (the
// statistics with four partial sums); no barriers: lavapipe runs them
// slowly (DESIGN.md).

struct Params {
    batch: u32,
    channels: u32,
    plane: u32,
    eps: f32,
    momentum: f32,
    // batch_norm_apply: leaky ReLU's slope (the activation is ACT).
    slope: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> invstd_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read> mean: array<f32>;
@group(0) @binding(7) var<storage, read> invstd: array<f32>;
@group(0) @binding(8) var<storage, read> gamma: array<f32>;
@group(0) @binding(9) var<storage, read> beta: array<f32>;
@group(0) @binding(10) var<storage, read> dy: array<f32>;
@group(0) @binding(11) var<storage, read_write> out: array<f32>;
@group(0) @binding(12) var<storage, read_write> dgamma_out: array<f32>;
@group(0) @binding(13) var<storage, read> dbeta: array<f32>;
@group(0) @binding(14) var<storage, read> dgamma: array<f32>;
// x, out and dy as vec4s, for the entries that take four values at a time
// (_vec4, _vec4x4, _quads; the host binds these where the tensor allows).
@group(0) @binding(15) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(16) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(17) var<storage, read> dy4: array<vec4<f32>>;

const WORKGROUP: u32 = 256u;
// Set by the host from the channel count (`channel_workgroup` in
// src/gpu/kernels/norm.rs): 64 channels in one workgroup of 64 ran on one
// of lavapipe's threads.
override CHANNEL_WORKGROUP: u32 = 64u;

fn element_id(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

// Walks the values of one channel in order (sample-major): index k in x
// and pixel pix of the current one. Stepping instead of dividing the
// value's number by the plane: lavapipe divides lane by lane.
struct Cursor {
    k: u32,
    pix: u32,
}

fn channel_start(c: u32) -> Cursor {
    return Cursor(c * p.plane, 0u);
}

fn step(cur: Cursor) -> Cursor {
    if cur.pix + 1u == p.plane {
        // On to the same channel of the next sample.
        return Cursor(cur.k + 1u + (p.channels - 1u) * p.plane, 0u);
    }
    return Cursor(cur.k + 1u, cur.pix + 1u);
}

// The next four values of a channel from `cur`, which moves past them.
// (Written out: lavapipe does not unroll loops, and a vector indexed by a
// loop counter goes to scratch memory.)
fn next4(cur: ptr<function, Cursor>) -> vec4<f32> {
    let c0 = *cur;
    let c1 = step(c0);
    let c2 = step(c1);
    let c3 = step(c2);
    *cur = step(c3);
    return vec4<f32>(x[c0.k], x[c1.k], x[c2.k], x[c3.k]);
}

fn count() -> u32 {
    return p.batch * p.plane;
}

@compute @workgroup_size(CHANNEL_WORKGROUP)
fn batch_norm_stats(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if c >= p.channels {
        return;
    }
    let n = count();
    var s = vec4<f32>(0.0);
    var cur = channel_start(c);
    var i = 0u;
    for (; i + 4u <= n; i += 4u) {
        s += next4(&cur);
    }
    var tail = 0.0;
    for (; i < n; i++) {
        tail += x[cur.k];
        cur = step(cur);
    }
    let m = ((s.x + s.y) + (s.z + s.w) + tail) / f32(n);
    // The variance from the centred values (two passes): no cancellation.
    var q = vec4<f32>(0.0);
    cur = channel_start(c);
    i = 0u;
    for (; i + 4u <= n; i += 4u) {
        let d = next4(&cur) - m;
        q = fma(d, d, q);
    }
    var qtail = 0.0;
    for (; i < n; i++) {
        let d = x[cur.k] - m;
        cur = step(cur);
        qtail = fma(d, d, qtail);
    }
    store_stats(c, m, ((q.x + q.y) + (q.z + q.w) + qtail) / f32(n));
}

// Channel c's mean and biased variance into the outputs and the running
// statistics.
fn store_stats(c: u32, m: f32, var_biased: f32) {
    let n = count();
    mean_out[c] = m;
    invstd_out[c] = 1.0 / sqrt(var_biased + p.eps);
    let unbiased = var_biased * f32(n) / f32(max(n, 2u) - 1u);
    running_mean[c] = mix(running_mean[c], m, p.momentum);
    running_var[c] = mix(running_var[c], select(var_biased, unbiased, n > 1u), p.momentum);
}

// A channel's quads of four values in order where the plane is a multiple
// of 4: index k of x4 and quad pix of the current plane.
fn step_quad(cur: Cursor) -> Cursor {
    let quads = p.plane / 4u;
    if cur.pix + 1u == quads {
        return Cursor(cur.k + 1u + (p.channels - 1u) * quads, 0u);
    }
    return Cursor(cur.k + 1u, cur.pix + 1u);
}

// As batch_norm_stats where the plane is a multiple of 4: a quad of a
// channel's values is one vec4 of x (four values of one plane), the same
// four `next4` gathers, so the sums are the same to the bit; one vec4
// load per quad instead of four gathered scalar loads on lavapipe.
@compute @workgroup_size(CHANNEL_WORKGROUP)
fn batch_norm_stats_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if c >= p.channels {
        return;
    }
    let n = count();
    let first = Cursor(c * (p.plane / 4u), 0u);
    var s = vec4<f32>(0.0);
    var cur = first;
    for (var i = 0u; i < n; i += 4u) {
        s += x4[cur.k];
        cur = step_quad(cur);
    }
    let tail = 0.0;
    let m = ((s.x + s.y) + (s.z + s.w) + tail) / f32(n);
    var q = vec4<f32>(0.0);
    cur = first;
    for (var i = 0u; i < n; i += 4u) {
        let d = x4[cur.k] - m;
        cur = step_quad(cur);
        q = fma(d, d, q);
    }
    let qtail = 0.0;
    store_stats(c, m, ((q.x + q.y) + (q.z + q.w) + qtail) / f32(n));
}

// Activation codes and expressions of matmul.wgsl's epilogue (WGSL has no
// include). ReLU, leaky ReLU and tanh are elementwise.wgsl's too, so fusing
// them here changes no bits; sigmoid is the epilogue's 1/(1 + e^−v), not
// elementwise's stable_sigmoid. A pipeline constant: switching on a uniform
// code took this pass ~1.4× as long in W3 on lavapipe
// (`Activation::specialise`, BENCHMARKS.md item 48).
override ACT: u32 = 0u;

fn activate4(v: vec4<f32>) -> vec4<f32> {
    switch ACT {
        case 1u: { return max(v, vec4<f32>(0.0)); }
        case 2u: { return select(p.slope * v, v, v > vec4<f32>(0.0)); }
        case 3u: { return tanh(clamp(v, vec4<f32>(-15.0), vec4<f32>(15.0))); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        default: { return v; }
    }
}

@compute @workgroup_size(WORKGROUP)
fn batch_norm_apply(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id = element_id(wg, lid, groups);
    if id >= p.batch * p.channels * p.plane {
        return;
    }
    let c = (id / p.plane) % p.channels;
    out[id] = activate4(vec4<f32>(fma((x[id] - mean[c]) * invstd[c], gamma[c], beta[c]))).x;
}

// As batch_norm_apply, four values of one plane per invocation (the host
// takes it when the plane is a multiple of 4): the channel is found once
// and its four parameters read once for four values.
@compute @workgroup_size(WORKGROUP)
fn batch_norm_apply_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id4 = element_id(wg, lid, groups);
    if id4 * 4u >= p.batch * p.channels * p.plane {
        return;
    }
    let c = (id4 / (p.plane / 4u)) % p.channels;
    out4[id4] = activate4(fma((x4[id4] - mean[c]) * invstd[c], vec4<f32>(gamma[c]), vec4<f32>(beta[c])));
}

// As batch_norm_apply for planes of 4 or more values that are not a
// multiple of 4 (a 7×7 map), where the whole tensor is: four consecutive
// values per invocation, so x and out go as vec4s. The four lie in at most
// two neighbouring channels (the second the next sample's channel 0 past
// the last one), so two channels' parameters are read, not four, and the
// channel is divided out once per four values, the second one stepped to
// (lavapipe divides lane by lane). The same arithmetic per value as
// batch_norm_apply.
@compute @workgroup_size(WORKGROUP)
fn batch_norm_apply_quads(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id4 = element_id(wg, lid, groups);
    if id4 * 4u >= p.batch * p.channels * p.plane {
        return;
    }
    let first = id4 * 4u;
    let plane_index = first / p.plane;
    let pix = first - plane_index * p.plane;
    let c = plane_index % p.channels;
    let next = select(c + 1u, 0u, c + 1u == p.channels);
    // Whether value j (0..3) lies past the end of the first one's plane.
    let past = vec4<u32>(pix) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.plane);
    let m = select(vec4<f32>(mean[c]), vec4<f32>(mean[next]), past);
    let r = select(vec4<f32>(invstd[c]), vec4<f32>(invstd[next]), past);
    let g = select(vec4<f32>(gamma[c]), vec4<f32>(gamma[next]), past);
    let b = select(vec4<f32>(beta[c]), vec4<f32>(beta[next]), past);
    out4[id4] = activate4(fma((x4[id4] - m) * r, g, b));
}

// One vec4 of batch_norm_apply_vec4x4: quad `at` whose values lie in the
// next channel when `past`.
fn apply_quad(at: u32, past: bool, own: vec4<f32>, next: vec4<f32>) {
    // (mean, invstd, γ, β) of the quad's channel.
    let k = select(own, next, past);
    out4[at] = activate4(fma((x4[at] - k.x) * k.y, vec4<f32>(k.z), vec4<f32>(k.w)));
}

// As batch_norm_apply_vec4 with four quads (16 values) per invocation,
// where planes are multiples of 4 with at least 16 values: the 16 lie in at
// most two neighbouring channels, so two channels' parameters are read
// for 16 values, and the channel is found once (lavapipe divides lane by
// lane). The same arithmetic per value.
@compute @workgroup_size(WORKGROUP)
fn batch_norm_apply_vec4x4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id = element_id(wg, lid, groups);
    if id * 16u >= p.batch * p.channels * p.plane {
        return;
    }
    let quads = p.plane / 4u;
    let first = id * 4u;
    let plane_index = first / quads;
    let q = first - plane_index * quads;
    let c = plane_index % p.channels;
    let n = select(c + 1u, 0u, c + 1u == p.channels);
    let own = vec4<f32>(mean[c], invstd[c], gamma[c], beta[c]);
    let next = vec4<f32>(mean[n], invstd[n], gamma[n], beta[n]);
    apply_quad(first, false, own, next);
    apply_quad(first + 1u, q + 1u >= quads, own, next);
    apply_quad(first + 2u, q + 2u >= quads, own, next);
    apply_quad(first + 3u, q + 3u >= quads, own, next);
}

@compute @workgroup_size(CHANNEL_WORKGROUP)
fn batch_norm_grad_params(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if c >= p.channels {
        return;
    }
    let m = mean[c];
    let r = invstd[c];
    var sum_dy = 0.0;
    var sum_dy_xhat = 0.0;
    var cur = channel_start(c);
    for (var i = 0u; i < count(); i++) {
        let k = cur.k;
        cur = step(cur);
        sum_dy += dy[k];
        sum_dy_xhat = fma(dy[k], (x[k] - m) * r, sum_dy_xhat);
    }
    out[c] = sum_dy;
    dgamma_out[c] = sum_dy_xhat;
}

@compute @workgroup_size(WORKGROUP)
fn batch_norm_grad_input(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id = element_id(wg, lid, groups);
    if id >= p.batch * p.channels * p.plane {
        return;
    }
    let c = (id / p.plane) % p.channels;
    let n = f32(count());
    let xhat = (x[id] - mean[c]) * invstd[c];
    out[id] = gamma[c] * invstd[c] / n * (n * dy[id] - dbeta[c] - xhat * dgamma[c]);
}

// As batch_norm_grad_input, four values of one plane per invocation (the
// same arithmetic per value).
@compute @workgroup_size(WORKGROUP)
fn batch_norm_grad_input_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let id4 = element_id(wg, lid, groups);
    if id4 * 4u >= p.batch * p.channels * p.plane {
        return;
    }
    let c = (id4 / (p.plane / 4u)) % p.channels;
    let n = f32(count());
    let xhat = (x4[id4] - mean[c]) * invstd[c];
    out4[id4] = gamma[c] * invstd[c] / n * (n * dy4[id4] - dbeta[c] - xhat * dgamma[c]);
}
