// Elementwise ops over n f32 values, one element per invocation (four with
// the _vec4 entries). The op is a pipeline constant, so each op is its own
// specialised pipeline.
//
//   binary_forward   out = x (op) y          ADD, SUB, MUL, DIV, AXPY (alpha·x + y)
//   unary_forward    out = f(x)              SCALE (alpha·x), RELU, LEAKY_RELU
//                                            (slope alpha), TANH, SIGMOID,
//                                            SQUARE, SQRT, SHIFT (x + alpha),
//                                            SOFTPLUS (log(1 + e^x))
//   unary_backward   out = g · f'(..)        RELU, LEAKY_RELU (x = input);
//                                            TANH, SIGMOID (x = the forward
//                                            output, as PyTorch saves it)
// Op codes are shared with src/gpu/kernels/elementwise.rs.

struct Params {
    n: u32,
    alpha: f32,
    _pad0: u32,
    _pad1: u32,
}

override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// x, y and out as vec4s, for the _vec4 entries.
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> y4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

const WORKGROUP: u32 = 256u;

// Binary ops.
const ADD: u32 = 0u;
const SUB: u32 = 1u;
const MUL: u32 = 2u;
const AXPY: u32 = 3u;
const DIV: u32 = 4u;
// Unary ops (and, for the activations, their gradients).
const SCALE: u32 = 10u;
const RELU: u32 = 11u;
const LEAKY_RELU: u32 = 12u;
const TANH: u32 = 13u;
const SIGMOID: u32 = 14u;
const SQUARE: u32 = 15u;
const SQRT: u32 = 16u;
const SHIFT: u32 = 17u;
const SOFTPLUS: u32 = 18u;

fn element_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

// Some drivers evaluate tanh as (e^v - e^-v)/(e^v + e^-v), which overflows to
// NaN for large |v|; tanh(±15) is already ±1 in f32.
fn stable_tanh(v: vec4<f32>) -> vec4<f32> {
    return tanh(clamp(v, vec4<f32>(-15.0), vec4<f32>(15.0)));
}

// Sigmoid without overflow for either sign.
fn stable_sigmoid(v: vec4<f32>) -> vec4<f32> {
    let e = exp(-abs(v));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
}

// The ops on four values at once: the scalar entries splat their one value
// (the _vec4 entries, for lengths of multiples of 4, read and write vec4s:
// a quarter of the invocations and of lavapipe's per-lane load loops). One
// definition of each op, the same arithmetic per value in both.
fn binary4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    switch OP {
        case ADD: { return a + b; }
        case SUB: { return a - b; }
        case MUL: { return a * b; }
        case AXPY: { return fma(vec4<f32>(p.alpha), a, b); }
        case DIV: { return a / b; }
        default: { return a; }
    }
}

fn unary4(v: vec4<f32>) -> vec4<f32> {
    switch OP {
        case SCALE: { return p.alpha * v; }
        case RELU: { return max(v, vec4<f32>(0.0)); }
        case LEAKY_RELU: { return select(p.alpha * v, v, v > vec4<f32>(0.0)); }
        case TANH: { return stable_tanh(v); }
        case SIGMOID: { return stable_sigmoid(v); }
        case SQUARE: { return v * v; }
        case SQRT: { return sqrt(v); }
        case SHIFT: { return v + p.alpha; }
        // max(v, 0) + log(1 + e^-|v|): no overflow for either sign.
        case SOFTPLUS: { return max(v, vec4<f32>(0.0)) + log(1.0 + exp(-abs(v))); }
        default: { return v; }
    }
}

// g · f'(..) with v the forward input (relu, leaky relu) or output.
fn unary_grad4(v: vec4<f32>, g: vec4<f32>) -> vec4<f32> {
    switch OP {
        case RELU: { return select(vec4<f32>(0.0), g, v > vec4<f32>(0.0)); }
        case LEAKY_RELU: { return select(p.alpha * g, g, v > vec4<f32>(0.0)); }
        case TANH: { return g * (1.0 - v * v); }
        case SIGMOID: { return g * v * (1.0 - v); }
        default: { return g; }
    }
}

@compute @workgroup_size(WORKGROUP)
fn binary_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n {
        return;
    }
    out[i] = binary4(vec4<f32>(x[i]), vec4<f32>(y[i])).x;
}

@compute @workgroup_size(WORKGROUP)
fn binary_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i * 4u >= p.n {
        return;
    }
    out4[i] = binary4(x4[i], y4[i]);
}

@compute @workgroup_size(WORKGROUP)
fn unary_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n {
        return;
    }
    out[i] = unary4(vec4<f32>(x[i])).x;
}

@compute @workgroup_size(WORKGROUP)
fn unary_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i * 4u >= p.n {
        return;
    }
    out4[i] = unary4(x4[i]);
}

@compute @workgroup_size(WORKGROUP)
fn unary_backward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i >= p.n {
        return;
    }
    out[i] = unary_grad4(vec4<f32>(x[i]), vec4<f32>(y[i])).x;
}

@compute @workgroup_size(WORKGROUP)
fn unary_backward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = element_index(wg, lid, groups);
    if i * 4u >= p.n {
        return;
    }
    out4[i] = unary_grad4(x4[i], y4[i]);
}
