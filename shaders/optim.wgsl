// Optimizer updates with PyTorch's semantics (torch.optim.Adam, RMSprop),
// one invocation per parameter element (or per four, in the *_vec4
// entries), state in place, with WGAN weight clipping fused in.
//
// adam_step (torch.optim.Adam, amsgrad off):
//   g ← g + wd·θ;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   θ ← θ − (lr / bc1) · m / (√v / √bc2 + ε),  bc_i = 1 − β_iᵗ (host-computed)
// rmsprop_step (torch.optim.RMSprop):
//   g ← g + wd·θ;  s ← α·s + (1−α)·g²
//   centered: a ← α·a + (1−α)·g, d = √(s − a²) + ε; else d = √s + ε
//   momentum > 0: b ← μ·b + g/d, θ ← θ − lr·b; else θ ← θ − lr·g/d
// clip > 0: then θ ← clamp(θ, −clip, clip), the WGAN critic's weight
//   clipping, which PyTorch's WGAN runs as a pass of its own after each
//   update: here it costs no pass and no second read and write of θ.

struct Params {
    n: u32,
    lr: f32,
    beta1: f32, // Adam β1; RMSprop α
    beta2: f32, // Adam β2; RMSprop momentum
    eps: f32,
    weight_decay: f32,
    bc1: f32, // Adam 1 − β1ᵗ
    bc2: f32, // Adam 1 − β2ᵗ
    clip: f32, // > 0: clamp θ to ±clip after the update
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> state0: array<f32>; // Adam m; RMSprop s
@group(0) @binding(4) var<storage, read_write> state1: array<f32>; // Adam v; RMSprop a
@group(0) @binding(5) var<storage, read_write> state2: array<f32>; // RMSprop b
// The same tensors as vec4s, for the *_vec4 entries (n a multiple of 4, as
// every flat parameter buffer is): on lavapipe a vec4 load costs little
// more than a scalar one (DESIGN.md), so these move ~4× the data per load.
@group(0) @binding(6) var<storage, read_write> theta4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> state04: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> state14: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> state24: array<vec4<f32>>;

const WORKGROUP: u32 = 256u;

// RMSprop's variant, pipeline constants: with `if`s on the uniforms
// instead, plain RMSprop took ~15% longer on lavapipe (BENCHMARKS.md item
// 48; gallivm may run both sides of such a branch under masks).
override CENTERED: bool = false;
override MOMENTUM: bool = false;

fn element_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

// The update rules, once, on four elements at a time; the scalar entries
// use lane x. `Update` carries the new θ and state.
struct Update {
    theta: vec4<f32>,
    s0: vec4<f32>,
    s1: vec4<f32>,
    s2: vec4<f32>,
}

// θ after the update, clipped when the host asks for it.
fn clipped(theta_new: vec4<f32>) -> vec4<f32> {
    return select(theta_new, clamp(theta_new, vec4<f32>(-p.clip), vec4<f32>(p.clip)), p.clip > 0.0);
}

fn adam(theta_in: vec4<f32>, grad_in: vec4<f32>, m_in: vec4<f32>, v_in: vec4<f32>) -> Update {
    let g = grad_in + p.weight_decay * theta_in;
    let m = p.beta1 * m_in + (1.0 - p.beta1) * g;
    let v = p.beta2 * v_in + (1.0 - p.beta2) * g * g;
    let denom = sqrt(v) / sqrt(p.bc2) + p.eps;
    return Update(clipped(theta_in - (p.lr / p.bc1) * m / denom), m, v, vec4<f32>(0.0));
}

fn rmsprop(theta_in: vec4<f32>, grad_in: vec4<f32>, s_in: vec4<f32>, a_in: vec4<f32>, b_in: vec4<f32>) -> Update {
    let alpha = p.beta1;
    let momentum = p.beta2;
    let g = grad_in + p.weight_decay * theta_in;
    let s = alpha * s_in + (1.0 - alpha) * g * g;
    var a = a_in;
    var avg = s;
    if CENTERED {
        a = alpha * a_in + (1.0 - alpha) * g;
        avg = s - a * a;
    }
    let d = sqrt(avg) + p.eps;
    if MOMENTUM {
        let b = momentum * b_in + g / d;
        return Update(clipped(theta_in - p.lr * b), s, a, b);
    }
    return Update(clipped(theta_in - p.lr * g / d), s, a, b_in);
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
    let u = adam(vec4<f32>(theta[i]), vec4<f32>(grad[i]), vec4<f32>(state0[i]), vec4<f32>(state1[i]));
    state0[i] = u.s0.x;
    state1[i] = u.s1.x;
    theta[i] = u.theta.x;
}

@compute @workgroup_size(WORKGROUP)
fn adam_step_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n / 4u {
        return;
    }
    let u = adam(theta4[i], grad4[i], state04[i], state14[i]);
    state04[i] = u.s0;
    state14[i] = u.s1;
    theta4[i] = u.theta;
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
    var a_in = 0.0;
    if CENTERED {
        a_in = state1[i];
    }
    var b_in = 0.0;
    if MOMENTUM {
        b_in = state2[i];
    }
    let u = rmsprop(vec4<f32>(theta[i]), vec4<f32>(grad[i]), vec4<f32>(state0[i]), vec4<f32>(a_in), vec4<f32>(b_in));
    state0[i] = u.s0.x;
    if CENTERED {
        state1[i] = u.s1.x;
    }
    if MOMENTUM {
        state2[i] = u.s2.x;
    }
    theta[i] = u.theta.x;
}

@compute @workgroup_size(WORKGROUP)
fn rmsprop_step_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n / 4u {
        return;
    }
    // The centered average and the momentum buffer are read only when in
    // use: two of five loads saved in plain RMSprop, 12% of the update
    // (BENCHMARKS.md item 41).
    var a_in = vec4<f32>(0.0);
    if CENTERED {
        a_in = state14[i];
    }
    var b_in = vec4<f32>(0.0);
    if MOMENTUM {
        b_in = state24[i];
    }
    let u = rmsprop(theta4[i], grad4[i], state04[i], a_in, b_in);
    state04[i] = u.s0;
    if CENTERED {
        state14[i] = u.s1;
    }
    if MOMENTUM {
        state24[i] = u.s2;
    }
    theta4[i] = u.theta;
}
