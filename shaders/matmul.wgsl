// matmul: C[b] = act(op(A[b]) · op(B[b]) + bias)
//
// op(A) is M×K: A is stored M×K, or K×M when TRANS_A. op(B) is K×N: B is
// stored K×N, or N×K when TRANS_B. C is M×N, row-major; bias has N entries.
// Batch b is workgroup z; batch strides are in elements (0 broadcasts).
//
// Split K: when the output alone has too few tiles (or lanes) to fill the
// device, the host splits K into `splits` chunks of `chunk`. Workgroup z =
// chunk · batch + b; each chunk writes its partial product to its own slice
// of a scratch buffer bound as C (with no bias and no activation), and
// matmul_split_reduce adds the slices and applies the epilogue. With one
// chunk (chunk = K) C is written directly.
//
// Entry points, chosen by the host:
//  - matmul_forward_vec4 when M, N and K are multiples of 4: vec4 loads, an
//    8×8 register tile per invocation (16 vec4 loads feed 256 FMAs).
//  - matmul_forward for any shape: scalar loads, a 4×4 register tile.
//  - matmul_split_partial when M or N is below 8 (a register tile would idle
//    most of its lanes): one output per invocation over one chunk of K.
//  - matmul_tiled on GPUs, for the vec4 kernel's shapes: its tiles staged
//    in workgroup memory (at the end of this file).
// The first three use no workgroup memory or barriers: lavapipe runs
// barriers very slowly (its own kernel is matmul_lanes8.wgsl).
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
    // The activation's code, read by matmul_lanes8.wgsl (which shares these
    // params); the kernels here take it as ACT.
    act: u32,
    slope: f32,
    // Split-K entries only: chunks of K, their length, and the batch count.
    splits: u32,
    chunk: u32,
    batch: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// The fused activation (ACT_* below, 0 for none), a pipeline constant, not
// a uniform (no shader branches on uniforms alone: see
// tests/suite/uniform_branches.rs).
override ACT: u32 = 0u;

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
    switch ACT {
        case ACT_RELU: { return max(v, vec4<f32>(0.0)); }
        case ACT_LEAKY_RELU: { return select(v * p.slope, v, v > vec4<f32>(0.0)); }
        case ACT_TANH: { return stable_tanh4(v); }
        case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-v)); }
        default: { return v; }
    }
}

// Bias entry `col`, or 0 without a bias; bias_quad: the i-th vec4 (bias4
// below). Selects, not an `if` on has_bias (no branch on uniforms alone:
// see the top of matmul_lanes8.wgsl). The load always runs, clamped, since
// without a bias A stands in for the binding.
fn bias_at(col: u32) -> f32 {
    return select(0.0, bias[min(col, arrayLength(&bias) - 1u)], p.has_bias != 0u);
}

fn bias_quad(i: u32) -> vec4<f32> {
    return select(vec4<f32>(0.0), bias4[min(i, arrayLength(&bias4) - 1u)], p.has_bias != 0u);
}

// ---------------------------------------------------------------- any shape

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// Workgroup 8×8 covers 32×32 outputs. An invocation owns 4 contiguous rows
// and 4 columns 8 apart, so neighbouring invocations touch neighbouring
// columns: coalesced B loads and C stores. Rows and columns past the edge are
// clamped for loads and skipped for stores; indices into the tile are
// constants (see the vec4 kernel below).

fn a_at(base: u32, row: u32, kk: u32) -> f32 {
    return a[base + select(row * p.k + kk, kk * p.m + row, TRANS_A)];
}

fn b_at(base: u32, col: u32, kk: u32) -> f32 {
    return b[base + select(kk * p.n + col, col * p.k + kk, TRANS_B)];
}

// Stores row `row` of the tile: columns col0 + 8j, j = 0..4.
fn store_row(base: u32, row: u32, col0: u32, v: vec4<f32>) {
    if row >= p.m {
        return;
    }
    let first = base + row * p.n + col0;
    c[first] = v.x; // col0 < N: the workgroup grid covers N exactly in x
    if col0 + 8u < p.n {
        c[first + 8u] = v.y;
    }
    if col0 + 16u < p.n {
        c[first + 16u] = v.z;
    }
    if col0 + 24u < p.n {
        c[first + 24u] = v.w;
    }
}

@compute @workgroup_size(8, 8, 1)
fn matmul_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = (wg.y * 8u + lid.y) * 4u;
    let col0 = wg.x * 32u + lid.x;
    if col0 >= p.n {
        return;
    }
    let z = wg.z % p.batch;
    let k_begin = (wg.z / p.batch) * p.chunk;
    let k_end = min(p.k, k_begin + p.chunk);
    let base_a = z * p.stride_a;
    let base_b = z * p.stride_b;
    let last_row = p.m - 1u;
    let last_col = p.n - 1u;
    let r0 = min(row0, last_row);
    let r1 = min(row0 + 1u, last_row);
    let r2 = min(row0 + 2u, last_row);
    let r3 = min(row0 + 3u, last_row);
    let c1 = min(col0 + 8u, last_col);
    let c2 = min(col0 + 16u, last_col);
    let c3 = min(col0 + 24u, last_col);

    var acc = mat4x4<f32>(); // acc[i]: row i, over the 4 columns
    for (var kk = k_begin; kk < k_end; kk++) {
        let bv = vec4<f32>(b_at(base_b, col0, kk), b_at(base_b, c1, kk), b_at(base_b, c2, kk), b_at(base_b, c3, kk));
        acc[0] = fma(vec4<f32>(a_at(base_a, r0, kk)), bv, acc[0]);
        acc[1] = fma(vec4<f32>(a_at(base_a, r1, kk)), bv, acc[1]);
        acc[2] = fma(vec4<f32>(a_at(base_a, r2, kk)), bv, acc[2]);
        acc[3] = fma(vec4<f32>(a_at(base_a, r3, kk)), bv, acc[3]);
    }

    let bias_v = vec4<f32>(bias_at(col0), bias_at(c1), bias_at(c2), bias_at(c3));
    let base_c = wg.z * p.stride_c;
    store_row(base_c, row0, col0, activate4(acc[0] + bias_v));
    store_row(base_c, row0 + 1u, col0, activate4(acc[1] + bias_v));
    store_row(base_c, row0 + 2u, col0, activate4(acc[2] + bias_v));
    store_row(base_c, row0 + 3u, col0, activate4(acc[3] + bias_v));
}

// ------------------------------------------------- M, N, K multiples of 4

@group(0) @binding(5) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> c4: array<vec4<f32>>;

// Workgroup 8×8 covers 64×64 outputs. An invocation owns 8 contiguous rows
// (two blocks h of 4) and two groups g of 4 contiguous columns, 32 apart, so
// that neighbouring invocations load and store neighbouring vec4s.
//
// Each operand block is a mat4x4 whose columns are vec4 loads; transposing a
// block is free on SIMD-across-invocations drivers (lavapipe keeps every
// component in its own register) and cheap elsewhere. All indices into the
// blocks are constants: dynamic indexing would push the tile to scratch memory.

// acc + a·b with a, b, acc as 4×4 blocks (column j of a·b is Σ_t a[t]·b[j][t]).
fn mma(acc: mat4x4<f32>, a: mat4x4<f32>, b: mat4x4<f32>) -> mat4x4<f32> {
    var r = acc;
    r[0] = fma(a[3], vec4<f32>(b[0].w), fma(a[2], vec4<f32>(b[0].z), fma(a[1], vec4<f32>(b[0].y), fma(a[0], vec4<f32>(b[0].x), r[0]))));
    r[1] = fma(a[3], vec4<f32>(b[1].w), fma(a[2], vec4<f32>(b[1].z), fma(a[1], vec4<f32>(b[1].y), fma(a[0], vec4<f32>(b[1].x), r[1]))));
    r[2] = fma(a[3], vec4<f32>(b[2].w), fma(a[2], vec4<f32>(b[2].z), fma(a[1], vec4<f32>(b[2].y), fma(a[0], vec4<f32>(b[2].x), r[2]))));
    r[3] = fma(a[3], vec4<f32>(b[3].w), fma(a[2], vec4<f32>(b[3].z), fma(a[1], vec4<f32>(b[3].y), fma(a[0], vec4<f32>(b[3].x), r[3]))));
    return r;
}

// Four vec4 loads at `first + i·step` (in vec4 units) as the columns of a block.
fn load_a_block(first: u32, step: u32) -> mat4x4<f32> {
    return mat4x4<f32>(a4[first], a4[first + step], a4[first + 2u * step], a4[first + 3u * step]);
}

fn load_b_block(first: u32, step: u32) -> mat4x4<f32> {
    return mat4x4<f32>(b4[first], b4[first + step], b4[first + 2u * step], b4[first + 3u * step]);
}

// op(A)[rows r0..r0+4, k..k+4] as a block with columns over k.
fn a_block(base: u32, r0: u32, k: u32) -> mat4x4<f32> {
    if TRANS_A {
        // A is K×M: A[k + t, r0..r0+4] is one vec4.
        return load_a_block(base + (k * p.m + r0) / 4u, p.m / 4u);
    }
    // A is M×K: A[r0 + i, k..k+4] is one vec4; rows past M are clamped.
    let last = p.m - 1u;
    return transpose(mat4x4<f32>(
        a4[base + (min(r0, last) * p.k + k) / 4u],
        a4[base + (min(r0 + 1u, last) * p.k + k) / 4u],
        a4[base + (min(r0 + 2u, last) * p.k + k) / 4u],
        a4[base + (min(r0 + 3u, last) * p.k + k) / 4u],
    ));
}

// op(B)[k..k+4, columns c0..c0+4] as a block with columns over the columns.
fn b_block(base: u32, c0: u32, k: u32) -> mat4x4<f32> {
    if TRANS_B {
        // B is N×K: B[c0 + j, k..k+4] is one vec4.
        return load_b_block(base + (c0 * p.k + k) / 4u, p.k / 4u);
    }
    // B is K×N: B[k + t, c0..c0+4] is one vec4.
    return transpose(load_b_block(base + (k * p.n + c0) / 4u, p.n / 4u));
}

// Stores block `acc` (columns over the 4 columns) at rows r0.., columns c0..
fn store_block(base: u32, r0: u32, c0: u32, acc: mat4x4<f32>) {
    if c0 >= p.n {
        return;
    }
    let bias_v = bias_quad(c0 / 4u);
    let rows = transpose(acc);
    let n4 = p.n / 4u;
    let first = base + (r0 * p.n + c0) / 4u;
    if r0 < p.m {
        c4[first] = activate4(rows[0] + bias_v);
    }
    if r0 + 1u < p.m {
        c4[first + n4] = activate4(rows[1] + bias_v);
    }
    if r0 + 2u < p.m {
        c4[first + 2u * n4] = activate4(rows[2] + bias_v);
    }
    if r0 + 3u < p.m {
        c4[first + 3u * n4] = activate4(rows[3] + bias_v);
    }
}

@compute @workgroup_size(8, 8, 1)
fn matmul_forward_vec4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r0 = wg.y * 64u + lid.y * 8u;
    let r1 = r0 + 4u;
    let c0 = wg.x * 64u + lid.x * 4u;
    let c1 = c0 + 32u;
    // Strides and offsets are multiples of 4 here, so /4 indexes vec4s.
    let z = wg.z % p.batch;
    let k_begin = (wg.z / p.batch) * p.chunk;
    let k_end = min(p.k, k_begin + p.chunk);
    let base_a = z * p.stride_a / 4u;
    let base_b = z * p.stride_b / 4u;
    // Clamped block positions for loads: M and N are multiples of 4, so a
    // block is wholly in or out of range, and out-of-range blocks are not stored.
    let lr0 = min(r0, p.m - 4u);
    let lr1 = min(r1, p.m - 4u);
    let lc0 = min(c0, p.n - 4u);
    let lc1 = min(c1, p.n - 4u);

    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    for (var k = k_begin; k < k_end; k += 4u) {
        let a0 = a_block(base_a, lr0, k);
        let a1 = a_block(base_a, lr1, k);
        let b0 = b_block(base_b, lc0, k);
        let b1 = b_block(base_b, lc1, k);
        acc00 = mma(acc00, a0, b0);
        acc01 = mma(acc01, a0, b1);
        acc10 = mma(acc10, a1, b0);
        acc11 = mma(acc11, a1, b1);
    }

    let base_c = wg.z * p.stride_c / 4u;
    store_block(base_c, r0, c0, acc00);
    store_block(base_c, r0, c1, acc01);
    store_block(base_c, r1, c0, acc10);
    store_block(base_c, r1, c1, acc11);
}


// ------------------------------------------------------- thin: split K

// Partial sums of every chunk (see the top); with one chunk the host binds
// C here.
@group(0) @binding(9) var<storage, read_write> partial: array<f32>;

fn epilogue(col: u32, v: f32) -> f32 {
    // v itself without a bias (v + 0 would turn −0 into +0).
    let x = select(v, v + bias_at(col), p.has_bias != 0u);
    return activate4(vec4<f32>(x)).x;
}

// Invocation `id` owns output (batch z, row, col) of chunk s, in that
// order from fastest to slowest, so neighbours read neighbouring B columns.
@compute @workgroup_size(64, 1, 1)
fn matmul_split_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = gid.x + gid.y * groups.x * 64u;
    let outputs = p.batch * p.stride_c;
    if id >= outputs * p.splits {
        return;
    }
    let within = id % outputs;
    let s = id / outputs;
    let z = within / p.stride_c;
    let col = within % p.n;
    let row = (within % p.stride_c) / p.n;
    let base_a = z * p.stride_a;
    let base_b = z * p.stride_b;
    let k_end = min(p.k, (s + 1u) * p.chunk);
    var acc = 0.0;
    for (var kk = s * p.chunk; kk < k_end; kk++) {
        acc = fma(a_at(base_a, row, kk), b_at(base_b, col, kk), acc);
    }
    partial[id] = epilogue(col, acc);
}

// Adds the chunks' partial sums of each output and applies the epilogue.
@compute @workgroup_size(64, 1, 1)
fn matmul_split_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = gid.x + gid.y * groups.x * 64u;
    let outputs = p.batch * p.stride_c;
    if id >= outputs {
        return;
    }
    var acc = 0.0;
    for (var s = 0u; s < p.splits; s++) {
        acc += partial[s * outputs + id];
    }
    c[id] = epilogue(id % p.n, acc);
}


// ------------------------------------------------- GPUs: workgroup memory

// matmul_tiled: matmul_forward_vec4's contract, grid (64 × 64 outputs per
// workgroup of 8 × 8) and bindings, for adapters that are real GPUs
// (`Gpu::workgroup_tiles`). The workgroup first copies a slice of op(A)'s
// 64 rows and op(B)'s 64 columns over TILE_K values of K into workgroup
// memory, so each value comes from global memory once per workgroup, not
// once per invocation that needs it (eight times in the vec4 kernel, which
// leans on L1). Each invocation copies four vec4s of each operand, spread
// so that neighbouring invocations read neighbouring memory whichever way
// the operand is stored, and loads the next slice while it multiplies this
// one. CPU adapters keep the kernels above: lavapipe runs barriers very
// slowly (DESIGN.md). Sums run over K in order, as in the vec4 kernel.

const TILE_K: u32 = 16u;

// A slice, K-major: tile_a[slot(k, q)] holds rows 4q .. 4q + 4 of the
// workgroup's 64 at the slice's K value k; tile_b the same for columns.
// Two vec4s of padding after every four K values: the transposing stores
// of `stage` (four K values of eight row quads per eight invocations)
// then fall in eight different bank groups of 8 vec4s, not two.
var<workgroup> tile_a: array<vec4<f32>, 262>;
var<workgroup> tile_b: array<vec4<f32>, 262>;

fn slot(k: u32, q: u32) -> u32 {
    return k * 16u + 2u * (k / 4u) + q;
}

// An invocation's share of one operand's slice, as loaded. Stored with K
// contiguous (A as M×K, B as N×K): column e is row (or column) 4·(t / 4)
// + e of the tile over K values k0 + 4·(t % 4) .. + 4. Stored with K
// outermost (A as K×M, B as K×N): column i is rows 4·(t % 16) .. + 4 at
// K value k0 + t / 16 + 4i. Past k_end both operands' values are zeros
// (A's alone would do, but an infinity in B clamped there would turn
// into NaN, 0·∞, where the vec4 kernel keeps it); rows past the operand's
// edge are clamped to its last and never stored.

fn a_slice(base: u32, r0: u32, k0: u32, k_end: u32, t: u32) -> mat4x4<f32> {
    var s: mat4x4<f32>;
    if TRANS_A {
        let quad = min(r0 / 4u + t % 16u, p.m / 4u - 1u);
        let k = k0 + t / 16u;
        let m4 = p.m / 4u;
        s = mat4x4<f32>(
            a4[base + min(k, k_end - 1u) * m4 + quad],
            a4[base + min(k + 4u, k_end - 1u) * m4 + quad],
            a4[base + min(k + 8u, k_end - 1u) * m4 + quad],
            a4[base + min(k + 12u, k_end - 1u) * m4 + quad],
        );
        return k_outermost_in_range(s, k, k_end);
    }
    let row = r0 + 4u * (t / 4u);
    let k = k0 + 4u * (t % 4u);
    let kc = min(k, k_end - 4u);
    let last = p.m - 1u;
    s = mat4x4<f32>(
        a4[base + (min(row, last) * p.k + kc) / 4u],
        a4[base + (min(row + 1u, last) * p.k + kc) / 4u],
        a4[base + (min(row + 2u, last) * p.k + kc) / 4u],
        a4[base + (min(row + 3u, last) * p.k + kc) / 4u],
    );
    if k >= k_end {
        return mat4x4<f32>();
    }
    return s;
}

fn b_slice(base: u32, c0: u32, k0: u32, k_end: u32, t: u32) -> mat4x4<f32> {
    var s: mat4x4<f32>;
    if !TRANS_B {
        let quad = min(c0 / 4u + t % 16u, p.n / 4u - 1u);
        let k = k0 + t / 16u;
        let n4 = p.n / 4u;
        s = mat4x4<f32>(
            b4[base + min(k, k_end - 1u) * n4 + quad],
            b4[base + min(k + 4u, k_end - 1u) * n4 + quad],
            b4[base + min(k + 8u, k_end - 1u) * n4 + quad],
            b4[base + min(k + 12u, k_end - 1u) * n4 + quad],
        );
        return k_outermost_in_range(s, k, k_end);
    }
    let col = c0 + 4u * (t / 4u);
    let k = k0 + 4u * (t % 4u);
    let kc = min(k, k_end - 4u);
    let last = p.n - 1u;
    s = mat4x4<f32>(
        b4[base + (min(col, last) * p.k + kc) / 4u],
        b4[base + (min(col + 1u, last) * p.k + kc) / 4u],
        b4[base + (min(col + 2u, last) * p.k + kc) / 4u],
        b4[base + (min(col + 3u, last) * p.k + kc) / 4u],
    );
    if k >= k_end {
        return mat4x4<f32>();
    }
    return s;
}

// Zeros for the K values of a K-outermost share (k, k + 4, ...) past k_end.
fn k_outermost_in_range(s: mat4x4<f32>, k: u32, k_end: u32) -> mat4x4<f32> {
    let zero = vec4<f32>(0.0);
    return mat4x4<f32>(
        select(zero, s[0], k < k_end),
        select(zero, s[1], k + 4u < k_end),
        select(zero, s[2], k + 8u < k_end),
        select(zero, s[3], k + 12u < k_end),
    );
}

// Writes the shares into the tiles: a K-contiguous share transposed (its
// column f is then K value 4·(t % 4) + f over four rows), a K-outermost
// one as loaded (column i is K value t / 16 + 4i).
fn stage(t: u32, a: mat4x4<f32>, b: mat4x4<f32>) {
    let k = t / 16u;
    let q = t % 16u;
    let kq = 4u * (t % 4u);
    let quad = t / 4u;
    if TRANS_A {
        tile_a[slot(k, q)] = a[0];
        tile_a[slot(k + 4u, q)] = a[1];
        tile_a[slot(k + 8u, q)] = a[2];
        tile_a[slot(k + 12u, q)] = a[3];
    } else {
        let at = transpose(a);
        tile_a[slot(kq, quad)] = at[0];
        tile_a[slot(kq + 1u, quad)] = at[1];
        tile_a[slot(kq + 2u, quad)] = at[2];
        tile_a[slot(kq + 3u, quad)] = at[3];
    }
    if TRANS_B {
        let bt = transpose(b);
        tile_b[slot(kq, quad)] = bt[0];
        tile_b[slot(kq + 1u, quad)] = bt[1];
        tile_b[slot(kq + 2u, quad)] = bt[2];
        tile_b[slot(kq + 3u, quad)] = bt[3];
    } else {
        tile_b[slot(k, q)] = b[0];
        tile_b[slot(k + 4u, q)] = b[1];
        tile_b[slot(k + 8u, q)] = b[2];
        tile_b[slot(k + 12u, q)] = b[3];
    }
}

// acc + a ⊗ b with acc's column i as row i over four columns.
fn outer(acc: mat4x4<f32>, a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(fma(vec4<f32>(a.x), b, acc[0]), fma(vec4<f32>(a.y), b, acc[1]), fma(vec4<f32>(a.z), b, acc[2]), fma(vec4<f32>(a.w), b, acc[3]));
}

@compute @workgroup_size(8, 8, 1)
fn matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.y * 8u + lid.x;
    let r_tile = wg.y * 64u;
    let c_tile = wg.x * 64u;
    let z = wg.z % p.batch;
    let k_begin = (wg.z / p.batch) * p.chunk;
    let k_end = min(p.k, k_begin + p.chunk);
    // Strides and offsets are multiples of 4 here, so /4 indexes vec4s.
    let base_a = z * p.stride_a / 4u;
    let base_b = z * p.stride_b / 4u;

    // The invocation's outputs: rows 4·ly .. + 4 and 32 + 4·ly .. + 4 of
    // the tile, columns likewise with lx, so that the eight invocations
    // of a row read eight consecutive vec4s of tile_b.
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var next_a = a_slice(base_a, r_tile, k_begin, k_end, t);
    var next_b = b_slice(base_b, c_tile, k_begin, k_end, t);
    for (var k0 = k_begin; k0 < k_end; k0 += TILE_K) {
        // Everyone is done reading the previous slice before it is overwritten.
        workgroupBarrier();
        stage(t, next_a, next_b);
        workgroupBarrier();
        if k0 + TILE_K < k_end {
            next_a = a_slice(base_a, r_tile, k0 + TILE_K, k_end, t);
            next_b = b_slice(base_b, c_tile, k0 + TILE_K, k_end, t);
        }
        for (var k = 0u; k < TILE_K; k++) {
            let a0 = tile_a[slot(k, lid.y)];
            let a1 = tile_a[slot(k, lid.y + 8u)];
            let b0 = tile_b[slot(k, lid.x)];
            let b1 = tile_b[slot(k, lid.x + 8u)];
            acc00 = outer(acc00, a0, b0);
            acc01 = outer(acc01, a0, b1);
            acc10 = outer(acc10, a1, b0);
            acc11 = outer(acc11, a1, b1);
        }
    }

    // store_block takes columns over the four columns: the transposes.
    let base_c = wg.z * p.stride_c / 4u;
    let r0 = r_tile + 4u * lid.y;
    let c0 = c_tile + 4u * lid.x;
    store_block(base_c, r0, c0, transpose(acc00));
    store_block(base_c, r0, c0 + 32u, transpose(acc01));
    store_block(base_c, r0 + 32u, c0, transpose(acc10));
    store_block(base_c, r0 + 32u, c0 + 32u, transpose(acc11));
}
