// matmul: C[b] = act(op(A[b]) · op(B[b]) + bias)
//
// op(A) is M×K: A is stored M×K, or K×M when TRANS_A. op(B) is K×N: B is
// stored K×N, or N×K when TRANS_B. C is M×N, row-major; bias has N entries.
// Batch b is workgroup z; batch strides are in elements (0 broadcasts).
//
// Two entry points, chosen by the host:
//  - matmul_forward_vec4 when M, N and K are multiples of 4: vec4 loads, an
//    8×8 register tile per invocation (16 vec4 loads feed 256 FMAs).
//  - matmul_forward for any shape: scalar loads, a 4×4 register tile.
// Neither uses workgroup memory or barriers: lavapipe runs barriers very
// slowly, and on GPUs the neighbouring invocations' loads hit in L1.
//
// The module is created without runtime bounds checks (see shaders.rs), so
// every load index below is clamped into range and every store is guarded.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    has_bias: u32,
    stride_a: u32,
    stride_b: u32,
    stride_c: u32,
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<uniform> p: Params;

// Activation codes, shared with src/gpu/kernels/matmul.rs.
const ACT_RELU: u32 = 1u;
const ACT_LEAKY_RELU: u32 = 2u;
const ACT_TANH: u32 = 3u;
const ACT_SIGMOID: u32 = 4u;

// Some drivers evaluate tanh as (e^v - e^-v)/(e^v + e^-v), which overflows to
// NaN for large |v|; tanh(±15) is already ±1 in f32.
fn stable_tanh4(v: vec4<f32>) -> vec4<f32> {
    return tanh(clamp(v, vec4<f32>(-15.0), vec4<f32>(15.0)));
}

fn activate4(v: vec4<f32>) -> vec4<f32> {
    switch p.act {
        case ACT_RELU: { return max(v, vec4<f32>(0.0)); }
        case ACT_LEAKY_RELU: { return select(v * p.slope, v, v > vec4<f32>(0.0)); }
        case ACT_TANH: { return stable_tanh4(v); }
        case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-v)); }
        default: { return v; }
    }
}

// ---------------------------------------------------------------- any shape

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// Workgroup 8×8 covers 32×32 outputs. An invocation owns 4 contiguous rows
// and 4 columns 8 apart, so neighbouring invocations touch neighbouring
// columns: coalesced B loads and C stores.
@compute @workgroup_size(8, 8, 1)
fn matmul_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = (wg.y * 8u + lid.y) * 4u;
    let col0 = wg.x * 32u + lid.x;
    let base_a = wg.z * p.stride_a;
    let base_b = wg.z * p.stride_b;
    let base_c = wg.z * p.stride_c;

    // Clamped positions for loads; out-of-range results are never stored.
    var rows: array<u32, 4>;
    var cols: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        rows[i] = min(row0 + i, p.m - 1u);
        cols[i] = min(col0 + 8u * i, p.n - 1u);
    }

    var acc: array<vec4<f32>, 4>;
    for (var kk = 0u; kk < p.k; kk++) {
        var bv: vec4<f32>;
        for (var j = 0u; j < 4u; j++) {
            bv[j] = b[base_b + select(kk * p.n + cols[j], cols[j] * p.k + kk, TRANS_B)];
        }
        for (var i = 0u; i < 4u; i++) {
            let av = a[base_a + select(rows[i] * p.k + kk, kk * p.m + rows[i], TRANS_A)];
            acc[i] = fma(vec4<f32>(av), bv, acc[i]);
        }
    }

    var bias_v: vec4<f32>;
    if p.has_bias != 0u {
        for (var j = 0u; j < 4u; j++) {
            bias_v[j] = bias[cols[j]];
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + i;
        if row >= p.m {
            break;
        }
        let v = activate4(acc[i] + bias_v);
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + 8u * j;
            if col < p.n {
                c[base_c + row * p.n + col] = v[j];
            }
        }
    }
}

// ------------------------------------------------- M, N, K multiples of 4

@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> c4: array<vec4<f32>>;

// Workgroup 8×8 covers 64×64 outputs. An invocation owns 8 contiguous rows
// and two groups of 4 contiguous columns, 32 apart, so that neighbouring
// invocations load and store neighbouring vec4s.
@compute @workgroup_size(8, 8, 1)
fn matmul_forward_vec4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * 64u + lid.y * 8u;
    var colg: array<u32, 2>;
    colg[0] = wg.x * 64u + lid.x * 4u;
    colg[1] = colg[0] + 32u;
    // Strides and offsets are multiples of 4 here, so /4 indexes vec4s.
    let base_a = wg.z * p.stride_a / 4u;
    let base_b = wg.z * p.stride_b / 4u;
    let base_c = wg.z * p.stride_c / 4u;
    let kq = p.k / 4u;

    // Clamped load positions: whole vec4 groups are in or out of range
    // because M and N are multiples of 4.
    var rowq: array<u32, 2>;
    var colq: array<u32, 2>;
    for (var h = 0u; h < 2u; h++) {
        rowq[h] = min(row0 + 4u * h, p.m - 4u);
        colq[h] = min(colg[h], p.n - 4u);
    }

    var acc: array<vec4<f32>, 16>; // acc[2i + g]: row i, column group g
    for (var kv = 0u; kv < kq; kv++) {
        let k = kv * 4u;
        // ac[2t + h]: op(A)[rows 4h..4h+4, k + t]
        var ac: array<vec4<f32>, 8>;
        if TRANS_A {
            for (var t = 0u; t < 4u; t++) {
                for (var h = 0u; h < 2u; h++) {
                    ac[2u * t + h] = a4[base_a + ((k + t) * p.m + rowq[h]) / 4u];
                }
            }
        } else {
            var ar: array<vec4<f32>, 8>;
            for (var i = 0u; i < 8u; i++) {
                ar[i] = a4[base_a + (min(row0 + i, p.m - 1u) * p.k + k) / 4u];
            }
            for (var t = 0u; t < 4u; t++) {
                for (var h = 0u; h < 2u; h++) {
                    ac[2u * t + h] = vec4<f32>(ar[4u * h][t], ar[4u * h + 1u][t], ar[4u * h + 2u][t], ar[4u * h + 3u][t]);
                }
            }
        }
        // br[2t + g]: op(B)[k + t, column group g]
        var br: array<vec4<f32>, 8>;
        if TRANS_B {
            var bc: array<vec4<f32>, 8>;
            for (var g = 0u; g < 2u; g++) {
                for (var j = 0u; j < 4u; j++) {
                    bc[4u * g + j] = b4[base_b + (min(colg[g] + j, p.n - 1u) * p.k + k) / 4u];
                }
            }
            for (var t = 0u; t < 4u; t++) {
                for (var g = 0u; g < 2u; g++) {
                    br[2u * t + g] = vec4<f32>(bc[4u * g][t], bc[4u * g + 1u][t], bc[4u * g + 2u][t], bc[4u * g + 3u][t]);
                }
            }
        } else {
            for (var t = 0u; t < 4u; t++) {
                for (var g = 0u; g < 2u; g++) {
                    br[2u * t + g] = b4[base_b + ((k + t) * p.n + colq[g]) / 4u];
                }
            }
        }
        for (var t = 0u; t < 4u; t++) {
            for (var i = 0u; i < 8u; i++) {
                let av = vec4<f32>(ac[2u * t + i / 4u][i % 4u]);
                acc[2u * i] = fma(av, br[2u * t], acc[2u * i]);
                acc[2u * i + 1u] = fma(av, br[2u * t + 1u], acc[2u * i + 1u]);
            }
        }
    }

    for (var g = 0u; g < 2u; g++) {
        if colg[g] >= p.n {
            continue;
        }
        var bias_v = vec4<f32>(0.0);
        if p.has_bias != 0u {
            bias_v = bias4[colg[g] / 4u];
        }
        for (var i = 0u; i < 8u; i++) {
            let row = row0 + i;
            if row < p.m {
                c4[base_c + (row * p.n + colg[g]) / 4u] = activate4(acc[2u * i + g] + bias_v);
            }
        }
    }
}
