// matmul for CPU adapters that run 8 lanes per subgroup (lavapipe):
// C[b] = act(op(A[b]) · op(B[b]) + bias), the same contract and params as
// matmul_forward_vec4 in matmul.wgsl (M, N and K multiples of 4; split K by
// workgroup z) and its bias and output bindings; A and B come as textures.
// Params and activation codes are copies of matmul.wgsl's (WGSL has no
// include): keep them in sync; the fields after `batch` are this
// kernel's own.
//
// With B_CONV, op(B) is not stored: it is the im2col matrix of a conv's
// input x, held NHWC in B's texture, row kk = (ky·KW + kx)·C + c and
// column p = (n·OH + oy)·OW + ox, zero where the tap falls in the padding
// (the conv's weights come as A, [O, KH, KW, C]). A vec4 of one column is
// then four channels of one input pixel, one texel, so the conv forward
// needs no im2col pass and no copy of its cols into a texture
// (src/gpu/kernels/conv.rs). Its entry matmul_image_lanes8 stores the
// products straight into the conv's NCHW output, bias and activation (not
// tanh or sigmoid: see `activate4`) per row (output channel): output pixel
// (oy, ox) lands at (oy·step + py, ox·step + px). With step 2 the batch
// entry z is output phase (py, px) = (z >> 1, z & 1) of a stride-2
// transposed conv, with its own weights (A[z]) and one less padding
// along each axis where its phase is 1, so one dispatch makes all four
// phases and no pass interleaves them. Such a matmul never splits K (the
// host's `plan`).
//
// With A_CONV, op(A) is that im2col matrix, the weight gradient's
// operand (dwᵀ = im2col(x) · dy, dy held NHWC as [B·OH·OW, O]): row
// (ky·KW + kx)·C + c, column kk = output pixel (n·OH + oy)·OW + ox, so
// four rows of a group over one column are one texel of x. A lane's slice
// of K is four output pixels, found once per K step (`lane_pixels`); a
// group of four rows is one tap and channel quad, the same in every lane.
// The products are the [KH, KW, C, O] matrix (stored as usual). This
// orientation, whose x fetches look like the forward's, ran the critic's
// conv 2 weight gradient 15–22% and ConvT 1's 25–30% faster than op(B) =
// im2col(x)ᵀ with dy as A (BENCHMARKS.md item 33).
//
// Why a kernel of its own: lavapipe runs a subgroup's 8 invocations as the
// lanes of one SIMD register, and a storage load whose address differs by
// lane becomes a loop over the lanes, each with its own bounds check and
// branch (Mesa's gallivm). Loads, not FMAs, bound the register-tiled kernel
// there. Here the 8 lanes of a workgroup share 32 rows of A: each lane loads
// a different 4-wide slice of K for the 32 rows (32 vec4 loads cover 32
// values of K), and subgroupShuffle hands every lane the slice it needs
// next, which on lavapipe costs less than a load.
// Each lane owns 4 columns, so one workgroup computes 32 rows × 32 columns
// and a vec4 of B feeds 32 vec4 FMAs (4 in the 8×8 kernel).
//
// Why 32 rows: texel fetches, not FMAs, take most of the time (a perf
// profile of 1024³ put ~58% of samples in gallivm's fetch functions, ~145
// instructions per fetch of 8 lanes), and per 32-wide K step a lane makes
// (rows + 32) fetches for 128·rows FMAs. 32 rows ran W3's matmuls 13–18%
// faster than 16 (8 rows was slower still); 64 rows was no faster than 32
// and compiles longer (BENCHMARKS.md). The accumulators spill either way.
//
// The lanes' slices are handed out in a loop over the lanes with
// subgroupShuffle (whose lane may vary), not written out eight times with
// subgroupBroadcast (whose lane must be a constant): lavapipe compiles each
// variant of this kernel with LLVM at its first launch in a process without
// a warm Mesa shader cache, and the written-out steps took 1.1–1.8 s of it,
// the loop half that, at the same speed (BENCHMARKS.md item 43). For the
// same reason whether A or B is transposed is a uniform, not an override
// constant: one variant serves the four cases. (naga 30 rejects `enable
// subgroups;`: the SUBGROUP device feature gates the builtins.)
//
// No `if` here may test uniforms alone (e.g. `if p.has_bias != 0u`):
// lavapipe (Mesa 22.3, lvp_inline_uniforms.c) may then inline their values
// and compile the shader again at every dispatch that binds new uniforms.
// It did so for this kernel once the transposes became uniforms: without a
// warm Mesa shader cache, ~0.6 s a dispatch and W1 11–12 s an iteration.
// Such choices are selects instead (tests/suite/uniform_branches.rs).
//
// The operands are read from rgba32float textures, not storage buffers: a
// storage load whose address differs by lane is a loop over the 8 lanes
// with a bounds-check branch per component on lavapipe, a texture load is
// straight-line code. With both operands fetched as texels 1024³ ran at
// 39.5 GFLOP/s against 30.3, 1024×12544×128 at 33.8 against 24.6
// (BENCHMARKS.md); the host copies each operand into a texture first
// (src/gpu/operand_textures.rs: a copy command, a few per cent of the time).
// They are bound as read-only storage textures, not sampled ones: gallivm's
// image load skips the texel fetch's mip-level arithmetic, which ran W3
// 12–14% and 1024³ ~19% faster (BENCHMARKS.md item 40).

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
    splits: u32,
    chunk: u32,
    batch: u32,
    // B_CONV and A_CONV: log2 of C and of KW, x's height and width,
    // the stride, the padding above and left of x (phase (0, 0)'s for a
    // transposed conv's phases: the kernel takes one off per axis for the
    // others), OW and OH·OW; then, B_CONV only,
    // where the products go in the NCHW output: its plane, the step
    // between the rows and between the columns of output pixels, and its
    // width.
    conv_c_shift: u32,
    conv_kw_shift: u32,
    conv_h: u32,
    conv_w: u32,
    conv_stride: u32,
    conv_pad_y: u32,
    conv_pad_x: u32,
    conv_ow: u32,
    conv_ohw: u32,
    out_plane: u32,
    out_row_step: u32,
    out_step: u32,
    out_width: u32,
    // A_CONV: OH.
    conv_oh: u32,
    // Whether A, and B, are stored transposed (1) or not (0).
    trans_a: u32,
    trans_b: u32,
}

override B_CONV: bool = false;
override A_CONV: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(7) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> c4: array<vec4<f32>>;
// The output of matmul_image_lanes8, value by value.
@group(0) @binding(11) var<storage, read_write> c1: array<f32>;
@group(0) @binding(9) var a_tex: texture_storage_2d<rgba32float, read>;
@group(0) @binding(10) var b_tex: texture_storage_2d<rgba32float, read>;

// The i-th vec4 of an operand as stored sits at texel (i mod 4096,
// i / 4096): one width serves every shape (`WIDTH` in
// src/gpu/operand_textures.rs).
const ROW_SHIFT: u32 = 12u;
const ROW_MASK: u32 = 4095u;

fn a_load(i: u32) -> vec4<f32> {
    return textureLoad(a_tex, vec2<u32>(i & ROW_MASK, i >> ROW_SHIFT));
}

fn b_load(i: u32) -> vec4<f32> {
    return textureLoad(b_tex, vec2<u32>(i & ROW_MASK, i >> ROW_SHIFT));
}

// Activation codes, shared with src/gpu/kernels/matmul.rs. Tanh and sigmoid
// are not applied here: the host runs them as a pass of their own after
// this kernel (`launch` in matmul.rs). Their code, inlined into each of
// the 32 stores of a tile, was about a third of the ~2 s that LLVM takes
// to compile each variant of this kernel on lavapipe, paid at its first
// launch in every process without a warm Mesa shader cache (BENCHMARKS.md
// item 42).
const ACT_RELU: u32 = 1u;
const ACT_LEAKY_RELU: u32 = 2u;

// Selects, not a switch: a few instructions per store either way.
fn activate4(v: vec4<f32>) -> vec4<f32> {
    let relu = max(v, vec4<f32>(0.0));
    let leaky = select(v * p.slope, v, v > vec4<f32>(0.0));
    return select(select(v, relu, p.act == ACT_RELU), leaky, p.act == ACT_LEAKY_RELU);
}

// 16 rows as four 4×4 blocks (a workgroup's 32 rows are two of these):
// column i of block g is row 4g + i over four consecutive values (of K for
// operands, of the lane's columns for sums).
struct Rows {
    g0: mat4x4<f32>,
    g1: mat4x4<f32>,
    g2: mat4x4<f32>,
    g3: mat4x4<f32>,
}

// acc[i] += Σ_t a[i][t] · b[t]: a holds four rows over four k, b four k
// over the lane's four columns.
fn mma_rows(acc: mat4x4<f32>, a: mat4x4<f32>, b: mat4x4<f32>) -> mat4x4<f32> {
    var r = acc;
    r[0] = fma(vec4<f32>(a[0].w), b[3], fma(vec4<f32>(a[0].z), b[2], fma(vec4<f32>(a[0].y), b[1], fma(vec4<f32>(a[0].x), b[0], r[0]))));
    r[1] = fma(vec4<f32>(a[1].w), b[3], fma(vec4<f32>(a[1].z), b[2], fma(vec4<f32>(a[1].y), b[1], fma(vec4<f32>(a[1].x), b[0], r[1]))));
    r[2] = fma(vec4<f32>(a[2].w), b[3], fma(vec4<f32>(a[2].z), b[2], fma(vec4<f32>(a[2].y), b[1], fma(vec4<f32>(a[2].x), b[0], r[2]))));
    r[3] = fma(vec4<f32>(a[3].w), b[3], fma(vec4<f32>(a[3].z), b[2], fma(vec4<f32>(a[3].y), b[1], fma(vec4<f32>(a[3].x), b[0], r[3]))));
    return r;
}

fn accumulate(acc: Rows, a: Rows, b: mat4x4<f32>) -> Rows {
    return Rows(mma_rows(acc.g0, a.g0, b), mma_rows(acc.g1, a.g1, b), mma_rows(acc.g2, a.g2, b), mma_rows(acc.g3, a.g3, b));
}

// A_CONV: the lane's four output pixels of this K step (its columns kk ..
// kk + 4 of op(A)), as n·H, oy and ox.
struct LanePixels {
    nh: vec4<u32>,
    oy: vec4<u32>,
    ox: vec4<u32>,
}

var<private> a_px: LanePixels;

fn lane_pixels(kk: u32) -> LanePixels {
    let q0 = grad_pixel(kk);
    let q1 = next_grad_pixel(q0);
    let q2 = next_grad_pixel(q1);
    let q3 = next_grad_pixel(q2);
    return LanePixels(vec4<u32>(q0.x, q1.x, q2.x, q3.x) * p.conv_h, vec4<u32>(q0.y, q1.y, q2.y, q3.y), vec4<u32>(q0.z, q1.z, q2.z, q3.z));
}

// A_CONV: channels 4·cq .. + 4 of x under tap (ky, kx) of output pixel
// (n, oy, ox) as A, or zeros in the padding.
fn a_conv_texel(base: u32, nh: u32, oy: u32, ox: u32, tap: vec2<u32>, cq: u32) -> vec4<f32> {
    let iy = i32(oy * p.conv_stride + tap.x) - i32(p.conv_pad_y);
    let ix = i32(ox * p.conv_stride + tap.y) - i32(p.conv_pad_x);
    let t = x_texel_at(nh, iy, ix, cq);
    return select(vec4<f32>(0.0), a_load(base + t.index), t.inside);
}

// transpose(m) if `t`, else m (selects, not a branch: see the top).
fn transposed_if(m: mat4x4<f32>, t: bool) -> mat4x4<f32> {
    let mt = transpose(m);
    return mat4x4<f32>(select(m[0], mt[0], t), select(m[1], mt[1], t), select(m[2], mt[2], t), select(m[3], mt[3], t));
}

// Rows r0 + 4g .. r0 + 4g + 4 of op(A) over k .. k + 4 (clamped to the
// last four before k_end: such a lane's slice is never handed out, see
// `tile_products`; rows past M are clamped and their sums never stored).
fn a_group(base: u32, r0: u32, k: u32, k_end: u32) -> mat4x4<f32> {
    let kk = min(k, k_end - 4u);
    var m: mat4x4<f32>;
    if A_CONV {
        // A group of four rows is one tap and channel quad (C is a
        // multiple of 4); a group past M is clamped and never stored.
        let r = min(r0, p.m - 4u);
        let tap_id = r >> p.conv_c_shift;
        let tap = vec2<u32>(tap_id >> p.conv_kw_shift, tap_id & ((1u << p.conv_kw_shift) - 1u));
        let cq = (r & ((1u << p.conv_c_shift) - 1u)) / 4u;
        let px = a_px;
        m = transpose(mat4x4<f32>(
            a_conv_texel(base, px.nh.x, px.oy.x, px.ox.x, tap, cq),
            a_conv_texel(base, px.nh.y, px.oy.y, px.ox.y, tap, cq),
            a_conv_texel(base, px.nh.z, px.oy.z, px.ox.z, tap, cq),
            a_conv_texel(base, px.nh.w, px.oy.w, px.ox.w, tap, cq),
        ));
    } else {
        // Rows r .. r + 4 over kk .. kk + 4 are four texels `step` apart:
        // A[r + i, kk..kk+4] for i < 4, or with A stored transposed (K×M)
        // A[kk + t, r..r+4] for t < 4, turned to rows. A group past M is
        // clamped to the last one (M is a multiple of 4) and never stored.
        let r = min(r0, p.m - 4u);
        let trans = p.trans_a != 0u;
        let first = base + select(r * p.k + kk, kk * p.m + r, trans) / 4u;
        let step = select(p.k, p.m, trans) / 4u;
        m = transposed_if(mat4x4<f32>(a_load(first), a_load(first + step), a_load(first + 2u * step), a_load(first + 3u * step)), trans);
    }
    return m;
}

fn a_rows(base: u32, r0: u32, k: u32, k_end: u32) -> Rows {
    return Rows(a_group(base, r0, k, k_end), a_group(base, r0 + 4u, k, k_end), a_group(base, r0 + 8u, k, k_end), a_group(base, r0 + 12u, k, k_end));
}

// B_CONV: where the lane's four columns (output pixels) read x: the
// top-left input pixel of each one's window (may be −pad) and n·H; and
// where they go: their index in channel 0 of the output.
struct Pixels {
    iy0: vec4<i32>,
    ix0: vec4<i32>,
    nh: vec4<u32>,
    out: vec4<u32>,
}

var<private> pixels: Pixels;

fn conv_pixels(c: u32, z: u32) -> Pixels {
    let col = vec4<u32>(c, c + 1u, c + 2u, c + 3u);
    let n = col / p.conv_ohw;
    let r = col % p.conv_ohw;
    let oy = r / p.conv_ow;
    let ox = r % p.conv_ow;
    let phase = select(vec2<u32>(0u), vec2<u32>(z >> 1u, z & 1u), p.out_step == 2u);
    let pad_y = vec4<i32>(i32(p.conv_pad_y) - i32(phase.x));
    let pad_x = vec4<i32>(i32(p.conv_pad_x) - i32(phase.y));
    let out = n * (p.m * p.out_plane) + oy * p.out_row_step + ox * p.out_step + phase.x * p.out_width + phase.y;
    return Pixels(vec4<i32>(oy * p.conv_stride) - pad_y, vec4<i32>(ox * p.conv_stride) - pad_x, n * p.conv_h, out);
}

// Where texel (channel quad) cq of x at (n, iy, ix), nh = n·H, sits in
// x's operand, clamped to the image, and whether it is inside (else it
// reads as zeros: the padding).
struct XTexel {
    index: u32,
    inside: bool,
}

fn x_texel_at(nh: u32, iy: i32, ix: i32, cq: u32) -> XTexel {
    let inside = iy >= 0 && ix >= 0 && iy < i32(p.conv_h) && ix < i32(p.conv_w);
    let y = u32(clamp(iy, 0, i32(p.conv_h) - 1));
    let x = u32(clamp(ix, 0, i32(p.conv_w) - 1));
    return XTexel(((nh + y) * p.conv_w + x) * ((1u << p.conv_c_shift) / 4u) + cq, inside);
}

// B_CONV: that texel of x as B, or zeros in the padding.
fn x_texel(base: u32, nh: u32, iy: i32, ix: i32, cq: u32) -> vec4<f32> {
    let t = x_texel_at(nh, iy, ix, cq);
    return select(vec4<f32>(0.0), b_load(base + t.index), t.inside);
}

// Channels c4·4 .. + 4 of x at (n, iy0 + ky, ix0 + kx) for the tap of row kk
// (a multiple of 4), or zeros in the padding.
fn conv_texel(base: u32, iy0: i32, ix0: i32, nh: u32, kk: u32) -> vec4<f32> {
    let c_mask = (1u << p.conv_c_shift) - 1u;
    let tap = kk >> p.conv_c_shift;
    let iy = iy0 + i32(tap >> p.conv_kw_shift);
    let ix = ix0 + i32(tap & ((1u << p.conv_kw_shift) - 1u));
    return x_texel(base, nh, iy, ix, (kk & c_mask) / 4u);
}

// A_CONV: output pixel kk as (n, oy, ox).
fn grad_pixel(kk: u32) -> vec3<u32> {
    let n = kk / p.conv_ohw;
    let r = kk - n * p.conv_ohw;
    let oy = r / p.conv_ow;
    return vec3<u32>(n, oy, r - oy * p.conv_ow);
}

// The output pixel after q, without dividing (a lane's four columns are
// consecutive pixels; lavapipe divides lane by lane).
fn next_grad_pixel(q: vec3<u32>) -> vec3<u32> {
    let wrap_x = q.z + 1u == p.conv_ow;
    let wrap_y = wrap_x && q.y + 1u == p.conv_oh;
    return vec3<u32>(select(q.x, q.x + 1u, wrap_y), select(select(q.y, q.y + 1u, wrap_x), 0u, wrap_y), select(q.z + 1u, 0u, wrap_x));
}

// op(B)[k..k+4, c..c+4]: column t is row k + t over the four columns
// (k + 4 ≤ the chunk's end: see `tile_products`).
fn b_block(base: u32, c: u32, kk: u32) -> mat4x4<f32> {
    var m: mat4x4<f32>;
    if B_CONV {
        let px = pixels;
        m = transpose(mat4x4<f32>(
            conv_texel(base, px.iy0.x, px.ix0.x, px.nh.x, kk),
            conv_texel(base, px.iy0.y, px.ix0.y, px.nh.y, kk),
            conv_texel(base, px.iy0.z, px.ix0.z, px.nh.z, kk),
            conv_texel(base, px.iy0.w, px.ix0.w, px.nh.w, kk),
        ));
    } else {
        // Rows kk .. kk + 4 over columns c .. c + 4: B[kk + t, c..c+4] for
        // t < 4, or with B stored transposed (N×K) B[c + j, kk..kk+4] for
        // j < 4, turned to rows.
        let trans = p.trans_b != 0u;
        let first = base + select(kk * p.n + c, c * p.k + kk, trans) / 4u;
        let step = select(p.n, p.k, trans) / 4u;
        m = transposed_if(mat4x4<f32>(b_load(first), b_load(first + step), b_load(first + 2u * step), b_load(first + 3u * step)), trans);
    }
    return m;
}

// Lane j's values of m, in every lane.
fn lane_of(m: mat4x4<f32>, j: u32) -> mat4x4<f32> {
    return mat4x4<f32>(subgroupShuffle(m[0], j), subgroupShuffle(m[1], j), subgroupShuffle(m[2], j), subgroupShuffle(m[3], j));
}

// Lane j's slice of all 16 rows, handed to every lane.
fn lane_at(r: Rows, j: u32) -> Rows {
    return Rows(lane_of(r.g0, j), lane_of(r.g1, j), lane_of(r.g2, j), lane_of(r.g3, j));
}

// The bias's i-th vec4, or zeros without a bias. A select, not an `if` on
// has_bias (see the top): the load always runs, clamped, since without a
// bias A stands in for the binding.
fn bias_quad(i: u32) -> vec4<f32> {
    return select(vec4<f32>(0.0), bias4[min(i, arrayLength(&bias4) - 1u)], p.has_bias != 0u);
}

// matmul_image_lanes8: act(row + bias of its channel) into the conv's
// output image, value by value (a phase's pixels are every other one).
fn store_image_row(row: u32, v: vec4<f32>, bias: f32) {
    let at = pixels.out + vec4<u32>(row * p.out_plane);
    let y = activate4(v + vec4<f32>(bias));
    c1[at.x] = y.x;
    c1[at.y] = y.y;
    c1[at.z] = y.z;
    c1[at.w] = y.w;
}

// M is a multiple of 4, so a group of four rows is wholly inside or past it.
fn store_image_group(r0: u32, acc: mat4x4<f32>) {
    if r0 >= p.m {
        return;
    }
    let bias_rows = bias_quad(r0 / 4u);
    store_image_row(r0, acc[0], bias_rows.x);
    store_image_row(r0 + 1u, acc[1], bias_rows.y);
    store_image_row(r0 + 2u, acc[2], bias_rows.z);
    store_image_row(r0 + 3u, acc[3], bias_rows.w);
}

fn store_image_rows(r0: u32, acc: Rows) {
    store_image_group(r0, acc.g0);
    store_image_group(r0 + 4u, acc.g1);
    store_image_group(r0 + 8u, acc.g2);
    store_image_group(r0 + 12u, acc.g3);
}

fn store_group(base: u32, r0: u32, c: u32, acc: mat4x4<f32>, bias_v: vec4<f32>) {
    let n4 = p.n / 4u;
    let first = base + (r0 * p.n + c) / 4u;
    if r0 < p.m {
        c4[first] = activate4(acc[0] + bias_v);
    }
    if r0 + 1u < p.m {
        c4[first + n4] = activate4(acc[1] + bias_v);
    }
    if r0 + 2u < p.m {
        c4[first + 2u * n4] = activate4(acc[2] + bias_v);
    }
    if r0 + 3u < p.m {
        c4[first + 3u * n4] = activate4(acc[3] + bias_v);
    }
}

fn store_rows(base: u32, r0: u32, c: u32, acc: Rows, bias_v: vec4<f32>) {
    store_group(base, r0, c, acc.g0, bias_v);
    store_group(base, r0 + 4u, c, acc.g1, bias_v);
    store_group(base, r0 + 8u, c, acc.g2, bias_v);
    store_group(base, r0 + 12u, c, acc.g3, bias_v);
}

// A workgroup's 32 × 32 tile of products: rows wg.y·32 .. + 16 (top) and
// the next 16 (bottom), over the lane's four columns.
struct Tile {
    top: Rows,
    bottom: Rows,
}

fn tile_products(wg: vec3<u32>, lid: vec3<u32>, lane: u32) -> Tile {
    let r0 = wg.y * 32u;
    // Lanes past N load a valid column and store nothing; none returns
    // early, since every lane takes part in the shuffles.
    let lc = min(wg.x * 32u + lid.x * 4u, p.n - 4u);
    let z = wg.z % p.batch;
    let k_begin = (wg.z / p.batch) * p.chunk;
    let k_end = min(p.k, k_begin + p.chunk);
    let base_a = z * p.stride_a / 4u;
    let base_b = z * p.stride_b / 4u;
    if B_CONV {
        pixels = conv_pixels(lc, z);
    }

    var acc = Rows(mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>(), mat4x4<f32>());
    var acc2 = acc;
    for (var k = k_begin; k < k_end; k += 32u) {
        // This lane's slice: K values k + 4·lane .. + 4 of all 32 rows. The
        // lane is the subgroup's numbering, which subgroupShuffle reads
        // (the workgroup of 8 is one subgroup of 8: see `Gpu::lanes8`).
        if A_CONV {
            a_px = lane_pixels(min(k + 4u * lane, k_end - 4u));
        }
        let a = a_rows(base_a, r0, k + 4u * lane, k_end);
        let a2 = a_rows(base_a, r0 + 16u, k + 4u * lane, k_end);
        // Lane j's slice of every row, handed to all lanes, against B's
        // rows k + 4j .. + 4, for the lanes whose slice starts before the
        // chunk's end (K and the chunks are multiples of 4). Stopping there,
        // rather than multiplying zeros past the end, keeps an infinity in
        // B from turning into NaN (0·∞), and one variant serves every K.
        let lanes_in_k = min(8u, (k_end - k) / 4u);
        for (var j = 0u; j < lanes_in_k; j++) {
            let b = b_block(base_b, lc, k + 4u * j);
            acc = accumulate(acc, lane_at(a, j), b);
            acc2 = accumulate(acc2, lane_at(a2, j), b);
        }
    }
    return Tile(acc, acc2);
}

@compute @workgroup_size(8, 1, 1)
fn matmul_forward_lanes8(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let tile = tile_products(wg, lid, lane);
    let r0 = wg.y * 32u;
    let c = wg.x * 32u + lid.x * 4u;
    if c >= p.n {
        return;
    }
    let bias_v = bias_quad(c / 4u);
    let base_c = wg.z * p.stride_c / 4u;
    store_rows(base_c, r0, c, tile.top, bias_v);
    store_rows(base_c, r0 + 16u, c, tile.bottom, bias_v);
}

// With B_CONV: the products straight into the conv's NCHW output (c1),
// bias and activation (as `activate4`) per row (output channel). An entry
// of its own, so that each binds only its own output.
@compute @workgroup_size(8, 1, 1)
fn matmul_image_lanes8(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let tile = tile_products(wg, lid, lane);
    if wg.x * 32u + lid.x * 4u >= p.n {
        return;
    }
    let r0 = wg.y * 32u;
    store_image_rows(r0, tile.top);
    store_image_rows(r0 + 16u, tile.bottom);
}
