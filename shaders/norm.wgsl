// Batch normalisation in training mode over x [B, C, H, W], per channel c
// with N = B·H·W values (torch.nn.BatchNorm2d; BatchNorm1d as H = W = 1):
//
//   batch_norm_stats        mean_c, invstd_c = 1/√(var_c + eps) (biased
//                           variance); running_mean, running_var updated
//                           with `momentum` and the unbiased variance
//   batch_norm_apply        y = (x − mean_c)·invstd_c·γ_c + β_c
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
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
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

const WORKGROUP: u32 = 256u;
const CHANNEL_WORKGROUP: u32 = 64u;

fn element_id(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

// Index of value i (0 ≤ i < N) of channel c: sample i / plane, pixel i % plane.
fn at(c: u32, i: u32) -> u32 {
    return ((i / p.plane) * p.channels + c) * p.plane + i % p.plane;
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
    var i = 0u;
    for (; i + 4u <= n; i += 4u) {
        s += vec4<f32>(x[at(c, i)], x[at(c, i + 1u)], x[at(c, i + 2u)], x[at(c, i + 3u)]);
    }
    var tail = 0.0;
    for (; i < n; i++) {
        tail += x[at(c, i)];
    }
    let m = ((s.x + s.y) + (s.z + s.w) + tail) / f32(n);
    // The variance from the centred values (two passes): no cancellation.
    var q = vec4<f32>(0.0);
    i = 0u;
    for (; i + 4u <= n; i += 4u) {
        let d = vec4<f32>(x[at(c, i)], x[at(c, i + 1u)], x[at(c, i + 2u)], x[at(c, i + 3u)]) - m;
        q = fma(d, d, q);
    }
    var qtail = 0.0;
    for (; i < n; i++) {
        let d = x[at(c, i)] - m;
        qtail = fma(d, d, qtail);
    }
    let var_biased = ((q.x + q.y) + (q.z + q.w) + qtail) / f32(n);
    mean_out[c] = m;
    invstd_out[c] = 1.0 / sqrt(var_biased + p.eps);
    let unbiased = var_biased * f32(n) / f32(max(n, 2u) - 1u);
    running_mean[c] = mix(running_mean[c], m, p.momentum);
    running_var[c] = mix(running_var[c], select(var_biased, unbiased, n > 1u), p.momentum);
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
    out[id] = fma((x[id] - mean[c]) * invstd[c], gamma[c], beta[c]);
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
    for (var i = 0u; i < count(); i++) {
        let k = at(c, i);
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
