// Elementwise ops over n f32 values, one element per invocation. The op is a
// pipeline constant, so each op is its own specialised pipeline.
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
fn stable_tanh(v: f32) -> f32 {
    return tanh(clamp(v, -15.0, 15.0));
}

// Sigmoid without overflow for either sign.
fn stable_sigmoid(v: f32) -> f32 {
    let e = exp(-abs(v));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
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
    let a = x[i];
    let b = y[i];
    var r: f32;
    switch OP {
        case ADD: { r = a + b; }
        case SUB: { r = a - b; }
        case MUL: { r = a * b; }
        case AXPY: { r = fma(p.alpha, a, b); }
        case DIV: { r = a / b; }
        default: { r = a; }
    }
    out[i] = r;
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
    let v = x[i];
    var r: f32;
    switch OP {
        case SCALE: { r = p.alpha * v; }
        case RELU: { r = max(v, 0.0); }
        case LEAKY_RELU: { r = select(p.alpha * v, v, v > 0.0); }
        case TANH: { r = stable_tanh(v); }
        case SIGMOID: { r = stable_sigmoid(v); }
        case SQUARE: { r = v * v; }
        case SQRT: { r = sqrt(v); }
        case SHIFT: { r = v + p.alpha; }
        // max(v, 0) + log(1 + e^-|v|): no overflow for either sign.
        case SOFTPLUS: { r = max(v, 0.0) + log(1.0 + exp(-abs(v))); }
        default: { r = v; }
    }
    out[i] = r;
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
    let v = x[i];
    let g = y[i];
    var r: f32;
    switch OP {
        case RELU: { r = select(0.0, g, v > 0.0); }
        case LEAKY_RELU: { r = select(p.alpha * g, g, v > 0.0); }
        case TANH: { r = g * (1.0 - v * v); }
        case SIGMOID: { r = g * v * (1.0 - v); }
        default: { r = g; }
    }
    out[i] = r;
}
