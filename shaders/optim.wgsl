// Optimizer updates with PyTorch's semantics (torch.optim.Adam, RMSprop) and
// weight clipping, one invocation per parameter element, state in place.
//
// adam_step (torch.optim.Adam, amsgrad off):
//   g ← g + wd·θ;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   θ ← θ − (lr / bc1) · m / (√v / √bc2 + ε),  bc_i = 1 − β_iᵗ (host-computed)
// rmsprop_step (torch.optim.RMSprop):
//   g ← g + wd·θ;  s ← α·s + (1−α)·g²
//   centered: a ← α·a + (1−α)·g, d = √(s − a²) + ε; else d = √s + ε
//   momentum > 0: b ← μ·b + g/d, θ ← θ − lr·b; else θ ← θ − lr·g/d
// clip_step: θ ← clamp(θ, −c, c)   (WGAN weight clipping)

struct Params {
    n: u32,
    lr: f32,
    beta1: f32, // Adam β1; RMSprop α
    beta2: f32, // Adam β2; RMSprop momentum
    eps: f32,
    weight_decay: f32,
    bc1: f32, // Adam 1 − β1ᵗ; RMSprop: 1 when centered
    bc2: f32, // Adam 1 − β2ᵗ; clip: c
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> state0: array<f32>; // Adam m; RMSprop s
@group(0) @binding(4) var<storage, read_write> state1: array<f32>; // Adam v; RMSprop a
@group(0) @binding(5) var<storage, read_write> state2: array<f32>; // RMSprop b

const WORKGROUP: u32 = 256u;

fn element_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

@compute @workgroup_size(WORKGROUP)
fn adam_step(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n {
        return;
    }
    let g = grad[i] + p.weight_decay * theta[i];
    let m = p.beta1 * state0[i] + (1.0 - p.beta1) * g;
    let v = p.beta2 * state1[i] + (1.0 - p.beta2) * g * g;
    state0[i] = m;
    state1[i] = v;
    let denom = sqrt(v) / sqrt(p.bc2) + p.eps;
    theta[i] = theta[i] - (p.lr / p.bc1) * m / denom;
}

@compute @workgroup_size(WORKGROUP)
fn rmsprop_step(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n {
        return;
    }
    let alpha = p.beta1;
    let momentum = p.beta2;
    let g = grad[i] + p.weight_decay * theta[i];
    let s = alpha * state0[i] + (1.0 - alpha) * g * g;
    state0[i] = s;
    var avg = s;
    if p.bc1 != 0.0 {
        let a = alpha * state1[i] + (1.0 - alpha) * g;
        state1[i] = a;
        avg = s - a * a;
    }
    let d = sqrt(avg) + p.eps;
    if momentum > 0.0 {
        let b = momentum * state2[i] + g / d;
        state2[i] = b;
        theta[i] = theta[i] - p.lr * b;
    } else {
        theta[i] = theta[i] - p.lr * g / d;
    }
}

@compute @workgroup_size(WORKGROUP)
fn clip_step(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i < p.n {
        theta[i] = clamp(theta[i], -p.bc2, p.bc2);
    }
}
