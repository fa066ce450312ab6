// 2-D convolution, NCHW, f32, lowered to one matmul each with the batch
// folded into the pixel dimension (src/gpu/kernels/conv.rs), except convs
// with few outputs at stride 1 (conv2d_direct_forward_vec4 and, for 3×3
// kernels with padding 1, conv2d_direct3_forward_vec4 and
// conv2d_direct3_weight_partial, at the end):
//
//   forward:        rows = im2col_pixel_major(x);  y' = w · rowsᵀ;  y = unfold(y')
//   input grad:     cols = wᵀ · pixel_major(dy)ᵀ;  dx = col2im(cols)   (= conv_transpose2d)
//   weight grad:    dw = fold(dy) · colsᵀ,  cols = im2col(x)
//
// (on lavapipe the forward's and the weight gradient's matmuls read rows
// or cols straight from x where C and KW are powers of two: B_CONV and
// A_CONV in matmul_lanes8.wgsl, w as [O, KH, KW, C], dw as its transpose
// with dy held NHWC; and the transposed conv below, and so the input
// gradient of such a conv, runs as four phases)
//
// with x [B, C, H, W], w [O, C·KH·KW], y / dy [B, O, OH, OW],
// cols [C·KH·KW, B·OH·OW], rows = colsᵀ and y' = fold(y) [O, B·OH·OW]. The
// matmuls run on the register-tiled matmul kernels; this file holds the
// gathers around them. Each matmul's B operand is laid out with K
// contiguous (B transposed): walking K down the rows of a large
// row-major B ran at half the speed on lavapipe (see BENCHMARKS.md).
//
//   im2col_forward:  cols[(c,i,j), (b,oy,ox)] = x[b, c, oy·s−p+i, ox·s−p+j], 0 off the image
//   im2col_pixel_major_forward: rows[(b,oy,ox), (c,i,j)], the same values transposed
//   col2im_forward:  x[b, c, iy, ix] = Σ cols[(c,i,j), (b,oy,ox)] over oy·s−p+i = iy,
//                    ox·s−p+j = ix (only taps of the right stride phase are visited)
//   fold_forward:    LAYOUT 0 (fold) t'[c, b, p] = t[b, c, p]; 1 (unfold) the
//                    inverse; 2 (pixel major) t'[b, p, c] = t[b, c, p]
//                    (fold_forward_vec4 pads c to p.o with zeros);
//                    3 (channels first) the inverse of 2
//   bias_act_forward: t[b, c, ..] = act(t[b, c, ..] + bias[c]), in place
//
// A transposed conv with kernel 4, stride 2 and padding 1 (a DCGAN
// generator's, and so the input gradient of such a conv) runs on lavapipe
// as four 2×2 convs of x, one per phase (py, px) of the output, each
// reading x straight from a texture in the matmul and storing its own
// pixels of y (src/gpu/kernels/conv.rs): output pixel (2i + py, 2j + px)
// sums x[i − 1 + py + ty, j − 1 + px + tx] · w[·, ·, 3 − py − 2ty, 3 − px − 2tx]
// over the taps ty, tx ∈ {0, 1}.
//
//   phase_weights_forward: w'[(py,px), o, ty, tx, c] = w[c, o, 3−py−2ty, 3−px−2tx]
//                    (phase_weights_vec4: the same, four channels at a time)
//                    (w [C_in, C_out, 4, 4]; here c = C_in = p.c, o = C_out = p.o)

struct Params {
    batch: u32,
    c: u32,
    h: u32,
    w: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad: u32,
    // Leaky ReLU's slope (the activation is ACT).
    slope: f32,
    has_bias: u32,
    // Output channels, for the direct kernels and phase_weights_forward.
    o: u32,
    // The direct kernels: 1 for the input gradient with flipped taps (see
    // conv2d_direct_forward_vec4), else 0.
    flip: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
// dst and src as vec4s, for the *_vec4 entries (rows of a multiple of 4
// entries).
@group(0) @binding(4) var<storage, read_write> dst4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> src4: array<vec4<f32>>;
// Weights [O, C, KH, KW], for the direct forward kernels.
@group(0) @binding(6) var<storage, read> weights: array<f32>;

const WORKGROUP: u32 = 256u;

fn element_index(wg: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WORKGROUP + lid.x;
}

// One invocation per element of cols; neighbouring invocations read
// neighbouring pixels of x.
@compute @workgroup_size(WORKGROUP)
fn im2col_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    // Grid: x over the row's B·OH·OW entries (sample-major), z = row k of
    // cols (channel and tap): k's decomposition is uniform across the
    // workgroup, and an entry costs two divisions (lavapipe has no vector
    // integer division; the flat index took eight).
    let plane = p.oh * p.ow;
    let e = wg.x * WORKGROUP + lid.x;
    if e >= p.batch * plane {
        return;
    }
    let b = e / plane;
    let pix = e - b * plane;
    let k = wg.z;
    let taps = p.kh * p.kw;
    let c = k / taps;
    let tap = k - c * taps;
    let ky = tap / p.kw;
    let kx = tap - ky * p.kw;
    let oy = pix / p.ow;
    let ox = pix - oy * p.ow;
    let iy = i32(oy * p.stride + ky) - i32(p.pad);
    let ix = i32(ox * p.stride + kx) - i32(p.pad);
    let inside = iy >= 0 && ix >= 0 && u32(iy) < p.h && u32(ix) < p.w;
    let idx = ((b * p.c + c) * p.h + u32(max(iy, 0))) * p.w + u32(max(ix, 0));
    dst[(k * p.batch + b) * plane + pix] = select(0.0, src[min(idx, arrayLength(&src) - 1u)], inside);
}

// The value of cols row `k` (channel c, tap ky, kx) at sample b, output
// pixel (oy, ox): x there, or 0 in the padding.
fn im2col_at(b: u32, c: u32, ky: u32, kx: u32, oy: u32, ox: u32) -> f32 {
    let iy = i32(oy * p.stride + ky) - i32(p.pad);
    let ix = i32(ox * p.stride + kx) - i32(p.pad);
    let inside = iy >= 0 && ix >= 0 && u32(iy) < p.h && u32(ix) < p.w;
    let idx = ((b * p.c + c) * p.h + u32(max(iy, 0))) * p.w + u32(max(ix, 0));
    return select(0.0, src[min(idx, arrayLength(&src) - 1u)], inside);
}

// As im2col_forward, four neighbouring entries per invocation stored as one
// vec4 (the host takes it when B·OH·OW is a multiple of 4): on lavapipe a
// store whose address differs by lane is a loop over the lanes, so one
// vec4 store costs about what one scalar store did. The four entries step
// through (sample, row, column) without dividing again.
@compute @workgroup_size(WORKGROUP)
fn im2col_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let plane = p.oh * p.ow;
    let row = p.batch * plane;
    let e = (wg.x * WORKGROUP + lid.x) * 4u;
    if e >= row {
        return;
    }
    let k = wg.z;
    let taps = p.kh * p.kw;
    let c = k / taps;
    let tap = k - c * taps;
    let ky = tap / p.kw;
    let kx = tap - ky * p.kw;
    let b = e / plane;
    let pix = e - b * plane;
    let oy = pix / p.ow;
    // (sample, output row, output column) of the four entries, written out:
    // a vector indexed by a loop counter goes to scratch memory on lavapipe.
    let o0 = vec3<u32>(b, oy, pix - oy * p.ow);
    let o1 = next_output(o0);
    let o2 = next_output(o1);
    let o3 = next_output(o2);
    dst4[(k * row + e) / 4u] = vec4<f32>(
        im2col_at(o0.x, c, ky, kx, o0.y, o0.z),
        im2col_at(o1.x, c, ky, kx, o1.y, o1.z),
        im2col_at(o2.x, c, ky, kx, o2.y, o2.z),
        im2col_at(o3.x, c, ky, kx, o3.y, o3.z),
    );
}

// The output pixel after (sample, row, column) o, sample-major.
fn next_output(o: vec3<u32>) -> vec3<u32> {
    if o.z + 1u < p.ow {
        return vec3<u32>(o.x, o.y, o.z + 1u);
    }
    if o.y + 1u < p.oh {
        return vec3<u32>(o.x, o.y + 1u, 0u);
    }
    return vec3<u32>(o.x + 1u, 0u, 0u);
}

// The first of the entries of rows that flat entry `e` starts: sample,
// output pixel and (channel, tap) of rows[(b,oy,ox), (c,ky,kx)].
struct RowEntry {
    b: u32,
    oy: u32,
    ox: u32,
    c: u32,
    ky: u32,
    kx: u32,
}

fn row_entry(e: u32) -> RowEntry {
    let taps = p.kh * p.kw;
    let row = p.c * taps;
    let pixel = e / row;
    let k = e - pixel * row;
    let plane = p.oh * p.ow;
    let b = pixel / plane;
    let pix = pixel - b * plane;
    let oy = pix / p.ow;
    let c = k / taps;
    let tap = k - c * taps;
    let ky = tap / p.kw;
    return RowEntry(b, oy, pix - oy * p.ow, c, ky, tap - ky * p.kw);
}

// One invocation per entry of rows = colsᵀ [B·OH·OW, C·KH·KW].
@compute @workgroup_size(WORKGROUP)
fn im2col_pixel_major_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = element_index(wg, lid, groups);
    if e >= p.batch * p.oh * p.ow * p.c * p.kh * p.kw {
        return;
    }
    dst[e] = row_value(row_entry(e));
}

// As im2col_pixel_major_forward, four neighbouring entries of one row (the
// host takes it when C·KH·KW is a multiple of 4) stored as one vec4; the
// four step through (channel, tap row, tap column) without dividing again.
@compute @workgroup_size(WORKGROUP)
fn im2col_pixel_major_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e4 = element_index(wg, lid, groups);
    if e4 * 4u >= p.batch * p.oh * p.ow * p.c * p.kh * p.kw {
        return;
    }
    // Written out: lavapipe does not unroll loops, and a vector indexed by a
    // loop counter goes to scratch memory.
    let r0 = row_entry(e4 * 4u);
    let r1 = next_tap(r0);
    let r2 = next_tap(r1);
    let r3 = next_tap(r2);
    dst4[e4] = vec4<f32>(row_value(r0), row_value(r1), row_value(r2), row_value(r3));
}

// The entry after `r` in its row: (channel, tap row, tap column) stepped.
fn next_tap(r: RowEntry) -> RowEntry {
    var n = r;
    n.kx += 1u;
    if n.kx == p.kw {
        n.kx = 0u;
        n.ky += 1u;
        if n.ky == p.kh {
            n.ky = 0u;
            n.c += 1u;
        }
    }
    return n;
}

fn row_value(r: RowEntry) -> f32 {
    return im2col_at(r.b, r.c, r.ky, r.kx, r.oy, r.ox);
}

@compute @workgroup_size(WORKGROUP)
fn col2im_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    // Grid: x over the B·H·W pixels of channel c = z, sample-major.
    let e = wg.x * WORKGROUP + lid.x;
    if e >= p.batch * p.h * p.w {
        return;
    }
    let c = wg.z;
    let b = e / (p.h * p.w);
    let pix = e - b * p.h * p.w;
    let iy = pix / p.w;
    let ix = pix - iy * p.w;
    let plane = p.oh * p.ow;
    let taps = p.kh * p.kw;
    let col_base = c * taps;
    let row_len = p.batch * plane;
    let pix_base = b * plane;
    let ty = iy + p.pad;
    let tx = ix + p.pad;
    var sum = 0.0;
    for (var i = ty % p.stride; i < p.kh && i <= ty; i += p.stride) {
        let oy = (ty - i) / p.stride;
        if oy >= p.oh {
            continue;
        }
        for (var j = tx % p.stride; j < p.kw && j <= tx; j += p.stride) {
            let ox = (tx - j) / p.stride;
            if ox < p.ow {
                sum += src[(col_base + i * p.kw + j) * row_len + pix_base + oy * p.ow + ox];
            }
        }
    }
    dst[(b * p.c + c) * p.h * p.w + pix] = sum;
}

// (phase, quotient) of t + 1 from those of t, for the stride.
fn next_phase(x: vec2<u32>) -> vec2<u32> {
    if x.x + 1u == p.stride {
        return vec2<u32>(0u, x.y + 1u);
    }
    return vec2<u32>(x.x + 1u, x.y);
}

// `sum` plus one tap row's entries for the pixel at tx = ix + pad, phase
// and quotient x: taps j = phase + m·stride (j ≤ tx) read output column
// ox = quotient − m. (Added one by one in col2im_forward's order.)
fn x_taps(start: f32, tap_row: u32, row_len: u32, x: vec2<u32>, tx: u32) -> f32 {
    var sum = start;
    var ox = x.y;
    for (var j = x.x; j < p.kw && j <= tx; j += p.stride) {
        if ox < p.ow {
            sum += src[tap_row + j * row_len + ox];
        }
        ox -= 1u;
    }
    return sum;
}

// One pixel of x for col2im: its row and column, and (phase, quotient) of
// iy + pad and ix + pad by the stride.
struct Pixel {
    iy: u32,
    ix: u32,
    y: vec2<u32>,
    x: vec2<u32>,
}

fn phase_of(t: u32) -> vec2<u32> {
    let q = t / p.stride;
    return vec2<u32>(t - q * p.stride, q);
}

// The next pixel of the plane (row-major), stepping phases, not dividing.
fn next_pixel(px: Pixel) -> Pixel {
    var n = px;
    n.ix += 1u;
    n.x = next_phase(n.x);
    if n.ix == p.w {
        n.ix = 0u;
        n.x = phase_of(p.pad);
        n.iy += 1u;
        n.y = next_phase(n.y);
    }
    return n;
}

// x[b, c, pixel] from the cols rows of channel c (col_base), as
// col2im_forward sums it (taps i ascending, then j, one by one).
fn col2im_pixel(col_base: u32, pix_base: u32, row_len: u32, px: Pixel) -> f32 {
    let ty = px.iy + p.pad;
    let tx = px.ix + p.pad;
    var sum = 0.0;
    var oy = px.y.y;
    for (var i = px.y.x; i < p.kh && i <= ty; i += p.stride) {
        if oy < p.oh {
            let tap_row = (col_base + i * p.kw) * row_len + pix_base + oy * p.ow;
            sum = x_taps(sum, tap_row, row_len, px.x, tx);
        }
        oy -= 1u;
    }
    return sum;
}

// As col2im_forward, four neighbouring pixels of one plane per invocation
// (the host takes it when H·W is a multiple of 4; they may span two rows),
// one vec4 store. The taps are found by stepping stride phases instead of
// dividing per pixel and tap (lavapipe divides lane by lane): tap
// i = phase + m·stride of output row oy = quotient − m, and likewise along x.
@compute @workgroup_size(WORKGROUP)
fn col2im_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    // Grid: x over the B·H·W/4 quads of channel c = z, sample-major.
    let plane_quads = p.h * p.w / 4u;
    let e4 = wg.x * WORKGROUP + lid.x;
    if e4 >= p.batch * plane_quads {
        return;
    }
    let c = wg.z;
    let b = e4 / plane_quads;
    let pix0 = (e4 - b * plane_quads) * 4u;
    let iy = pix0 / p.w;
    let ix = pix0 - iy * p.w;
    let col_base = c * p.kh * p.kw;
    let row_len = p.batch * p.oh * p.ow;
    let pix_base = b * p.oh * p.ow;
    // Written out: a vector indexed by a loop counter goes to scratch
    // memory on lavapipe.
    let px0 = Pixel(iy, ix, phase_of(iy + p.pad), phase_of(ix + p.pad));
    let px1 = next_pixel(px0);
    let px2 = next_pixel(px1);
    let px3 = next_pixel(px2);
    dst4[(b * p.c + c) * plane_quads + pix0 / 4u] = vec4<f32>(
        col2im_pixel(col_base, pix_base, row_len, px0),
        col2im_pixel(col_base, pix_base, row_len, px1),
        col2im_pixel(col_base, pix_base, row_len, px2),
        col2im_pixel(col_base, pix_base, row_len, px3),
    );
}

// Layout codes shared with src/gpu/kernels/conv.rs.
const LAYOUT_FOLD: u32 = 0u;
const LAYOUT_UNFOLD: u32 = 1u;
const LAYOUT_PIXEL_MAJOR: u32 = 2u;
const LAYOUT_CHANNELS_FIRST: u32 = 3u;
override LAYOUT: u32 = LAYOUT_FOLD;

@compute @workgroup_size(WORKGROUP)
fn fold_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = element_index(wg, lid, groups);
    let plane = p.h * p.w;
    if e >= p.batch * p.c * plane {
        return;
    }
    // e indexes the destination.
    switch LAYOUT {
        case LAYOUT_FOLD: {
            let pix = e % plane;
            let b = (e / plane) % p.batch;
            let c = e / (plane * p.batch);
            dst[e] = src[(b * p.c + c) * plane + pix];
        }
        case LAYOUT_UNFOLD: {
            let pix = e % plane;
            let c = (e / plane) % p.c;
            let b = e / (plane * p.c);
            dst[e] = src[(c * p.batch + b) * plane + pix];
        }
        case LAYOUT_CHANNELS_FIRST: {
            // e = (b·C + c)·plane + pix.
            let pix = e % plane;
            let bc = e / plane;
            let c = bc % p.c;
            let b = bc / p.c;
            dst[e] = src[(b * plane + pix) * p.c + c];
        }
        case LAYOUT_PIXEL_MAJOR, default: {
            // e = (b·plane + pix)·C + c.
            let c = e % p.c;
            let pixel = e / p.c;
            let b = pixel / plane;
            let pix = pixel - b * plane;
            dst[e] = src[(b * p.c + c) * plane + pix];
        }
    }
}

// As fold_forward, four values per invocation and one vec4 store: for
// LAYOUT_FOLD and LAYOUT_UNFOLD four pixels of a plane (the host takes it
// when H·W is a multiple of 4: a vec4 copy), for LAYOUT_PIXEL_MAJOR four
// channels of a pixel (when C is a multiple of 4, or padded to 4: four
// loads a plane apart).
// LAYOUT_CHANNELS_FIRST has no vec4 entry (the host never asks for one;
// here it would take the unfold branch).
@compute @workgroup_size(WORKGROUP)
fn fold_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e4 = element_index(wg, lid, groups);
    let plane = p.h * p.w;
    // Pixel major holds p.o ≥ p.c channels a pixel (see below).
    let channels = select(p.c, p.o, LAYOUT == LAYOUT_PIXEL_MAJOR);
    if e4 >= p.batch * channels * plane / 4u {
        return;
    }
    if LAYOUT == LAYOUT_PIXEL_MAJOR {
        // e4 = (b·plane + pix)·O/4 + c/4: O = C, or C < 4 padded with
        // zero channels to O = 4 (one texel a pixel for the lavapipe conv).
        let channel_quads = p.o / 4u;
        let pixel = e4 / channel_quads;
        let c = (e4 - pixel * channel_quads) * 4u;
        let b = pixel / plane;
        let first = b * p.c * plane + pixel - b * plane;
        let last = p.c - 1u;
        let cs = vec4<u32>(c, c + 1u, c + 2u, c + 3u);
        let v = vec4<f32>(src[first + min(cs.x, last) * plane], src[first + min(cs.y, last) * plane], src[first + min(cs.z, last) * plane], src[first + min(cs.w, last) * plane]);
        dst4[e4] = select(vec4<f32>(0.0), v, cs < vec4<u32>(p.c));
        return;
    }
    let quads = plane / 4u;
    // e4 indexes the destination: (outer, quad).
    let outer = e4 / quads;
    let quad = e4 - outer * quads;
    if LAYOUT == LAYOUT_FOLD {
        let c = outer / p.batch;
        let b = outer - c * p.batch;
        dst4[e4] = src4[(b * p.c + c) * quads + quad];
    } else {
        let b = outer / p.c;
        let c = outer - b * p.c;
        dst4[e4] = src4[(c * p.batch + b) * quads + quad];
    }
}

// The fused activation, codes shared with src/gpu/kernels/matmul.rs: a
// pipeline constant, not a uniform (`Activation::specialise`; no shader
// branches on uniforms alone: tests/suite/uniform_branches.rs).
override ACT: u32 = 0u;

fn activate(v: f32) -> f32 {
    switch ACT {
        case 1u: { return max(v, 0.0); }
        case 2u: { return select(p.slope * v, v, v > 0.0); }
        case 3u: { return tanh(clamp(v, -15.0, 15.0)); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        default: { return v; }
    }
}

fn activate4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}

// Aligned vec4 `t` of input row `row`, or zeros past the row's ends (W is
// a multiple of 4, so a vec4 is wholly inside or wholly padding).
fn x_block(row: u32, t: i32) -> vec4<f32> {
    let quads = p.w / 4u;
    if t < 0 || t >= i32(quads) {
        return vec4<f32>(0.0);
    }
    return src4[row * quads + u32(t)];
}

// The four values starting `shift` (0..3) into lo and running on into hi.
fn window(lo: vec4<f32>, hi: vec4<f32>, shift: u32) -> vec4<f32> {
    switch shift {
        case 0u: { return lo; }
        case 1u: { return vec4<f32>(lo.yzw, hi.x); }
        case 2u: { return vec4<f32>(lo.zw, hi.xy); }
        default: { return vec4<f32>(lo.w, hi.xyz); }
    }
}

// y = conv2d(x, w) + bias without im2col (the activation is bias_act's pass
// after it: fused, it would split the kernel into one pipeline per
// activation, the input gradient's included), for stride 1 and few output
// channels (a generator's last conv to the image), where the lowered
// matmul is a thin one and the im2col matrix is C·KH·KW times the output.
// One invocation makes four neighbouring outputs of one row (W and OW
// multiples of 4): for each input row it reads aligned vec4s of x and
// slides a window over them, so a tap costs one weight load, not four
// loads of x. ox0 is a multiple of 4, so the window's shift is the same
// in every invocation.
//
// With p.flip it makes the input gradient of such a conv at stride 1,
// itself a conv of dy: p.c counts dy's channels (the conv's outputs), p.o
// the gradient's (the conv's inputs), and the weight of a tap is the conv's
// w[c, o, KH−1−ky, KW−1−kx] (padding KH−1−pad, set by the host). A uniform
// read with selects, not an override constant: one pipeline serves both
// (lavapipe compiles each pipeline with LLVM at its first launch; the
// activation is bias_act's pass after the forward), and not an `if` (see
// "No `if` here may test uniforms alone" in matmul_lanes8.wgsl).

@compute @workgroup_size(WORKGROUP)
fn conv2d_direct_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let quads = p.ow / 4u;
    let e4 = element_index(wg, lid, groups);
    if e4 >= p.batch * p.o * p.oh * quads {
        return;
    }
    // e4 = ((b·O + o)·OH + oy)·OW/4 + ox0/4, the output's own vec4 index.
    let line = e4 / quads;
    let ox0 = (e4 - line * quads) * 4u;
    let plane = line / p.oh;
    let oy = line - plane * p.oh;
    let b = plane / p.o;
    let o = plane - b * p.o;
    let start = i32(ox0) - i32(p.pad);
    let flip = p.flip != 0u;
    var acc = vec4<f32>(0.0);
    for (var c = 0u; c < p.c; c++) {
        for (var ky = 0u; ky < p.kh; ky++) {
            let iy = i32(oy + ky) - i32(p.pad);
            if iy < 0 || iy >= i32(p.h) {
                continue;
            }
            let row = (b * p.c + c) * p.h + u32(iy);
            // Flipped: the last tap of row KH−1−ky of w[c, o], read backwards.
            let w_row = select(((o * p.c + c) * p.kh + ky) * p.kw, ((c * p.o + o) * p.kh + p.kh - 1u - ky) * p.kw + p.kw - 1u, flip);
            // Tap kx reads x[start + kx .. + 4]: vec4 t, `shift` values in.
            var t = start >> 2u;
            var shift = u32(start & 3);
            var lo = x_block(row, t);
            var hi = x_block(row, t + 1);
            for (var kx = 0u; kx < p.kw; kx++) {
                let tap = select(w_row + kx, w_row - kx, flip);
                acc = fma(vec4<f32>(weights[tap]), window(lo, hi, shift), acc);
                shift += 1u;
                if shift == 4u {
                    shift = 0u;
                    t += 1;
                    lo = hi;
                    hi = x_block(row, t + 1);
                }
            }
        }
    }
    dst4[e4] = acc + select(0.0, bias[o], p.has_bias != 0u);
}

// In place over t [batch, c, h, w]; without a bias the host binds any buffer
// and clears has_bias.
@compute @workgroup_size(WORKGROUP)
fn bias_act_forward(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = element_index(wg, lid, groups);
    if e >= p.batch * p.c * p.h * p.w {
        return;
    }
    let c = (e / (p.h * p.w)) % p.c;
    let b = select(0.0, bias[c], p.has_bias != 0u);
    dst[e] = activate(dst[e] + b);
}

// As bias_act_forward, four values of one plane per invocation (the host
// takes it when H·W is a multiple of 4): the channel found once.
@compute @workgroup_size(WORKGROUP)
fn bias_act_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e4 = element_index(wg, lid, groups);
    let quads = p.h * p.w / 4u;
    if e4 >= p.batch * p.c * quads {
        return;
    }
    let c = (e4 / quads) % p.c;
    dst4[e4] = activate4(dst4[e4] + select(0.0, bias[c], p.has_bias != 0u));
}

// One invocation per output value over a 3-D grid, x = c (64 per
// workgroup), y = o, z = (phase, tap), so no value's index is divided:
// lavapipe divides lane by lane, and the flat-index version spent ~5× a
// copy's time on its divisions (BENCHMARKS.md item 34).
@compute @workgroup_size(64)
fn phase_weights_forward(
    @builtin(global_invocation_id) gid: vec3<u32>,
) {
    let c = gid.x;
    if c >= p.c {
        return;
    }
    let o = gid.y;
    let phase = gid.z >> 2u;
    let tap = gid.z & 3u;
    let ky = 3u - (phase >> 1u) - 2u * (tap >> 1u);
    let kx = 3u - (phase & 1u) - 2u * (tap & 1u);
    dst[((phase * p.o + o) * 4u + tap) * p.c + c] = src[((c * p.o + o) * 4u + ky) * 4u + kx];
}

// Where kernel row or column k of a stride-2, 4-wide transposed conv goes:
// (phase bit, tap bit), from k = 3 − phase − 2·tap.
fn phase_bits(k: u32) -> vec2<u32> {
    return vec2<u32>(1u - (k & 1u), (3u - k) >> 1u);
}

// Phase weights of four channels at kernel position (ky, kx): one vec4 of
// the output's row (phase, o, tap).
fn store_phase_tap(cq: u32, o: u32, ky: u32, kx: u32, v: vec4<f32>) {
    let y = phase_bits(ky);
    let x = phase_bits(kx);
    let phase = y.x * 2u + x.x;
    let tap = y.y * 2u + x.y;
    dst4[((phase * p.o + o) * 4u + tap) * (p.c / 4u) + cq] = v;
}

// Kernel row ky of w[c .. c + 4, o], one row per channel: transposed, its
// column kx is the four channels' value at (ky, kx).
fn store_kernel_row(cq: u32, o: u32, ky: u32, rows: mat4x4<f32>) {
    let t = transpose(rows);
    store_phase_tap(cq, o, ky, 0u, t[0]);
    store_phase_tap(cq, o, ky, 1u, t[1]);
    store_phase_tap(cq, o, ky, 2u, t[2]);
    store_phase_tap(cq, o, ky, 3u, t[3]);
}

// phase_weights_forward for C_in a multiple of 4: four channels of one o
// per invocation, their 4×4 kernels as 16 vec4 loads (each kernel row is
// one) and 16 vec4 stores, the transposes free on lavapipe (a register
// per component). A copy's cost, where the scalar entry makes a gathered
// load per value.
@compute @workgroup_size(16)
fn phase_weights_vec4(
    @builtin(global_invocation_id) gid: vec3<u32>,
) {
    let cq = gid.x;
    if cq >= p.c / 4u {
        return;
    }
    let o = gid.y;
    // w[c, o] starts at vec4 (c·C_out + o)·4; the next channel's is
    // 4·C_out vec4s on.
    let first = (4u * cq * p.o + o) * 4u;
    let next = 4u * p.o;
    for (var ky = 0u; ky < 4u; ky++) {
        let at = first + ky;
        store_kernel_row(cq, o, ky, mat4x4<f32>(src4[at], src4[at + next], src4[at + 2u * next], src4[at + 3u * next]));
    }
}

// The three windows a 3-wide kernel with padding 1 reads in one input row
// for four outputs: taps kx = 0, 1, 2 of columns 4t .. 4t + 4.
struct Windows {
    w0: vec4<f32>,
    w1: vec4<f32>,
    w2: vec4<f32>,
}

// Aligned vec4 t of row iy of the plane starting at row `plane_row`, or
// zeros outside the image (selected, not branched on).
fn x_quad(plane_row: u32, iy: i32, t: i32) -> vec4<f32> {
    let quads = i32(p.w / 4u);
    let inside = iy >= 0 && iy < i32(p.h) && t >= 0 && t < quads;
    let row = plane_row + u32(clamp(iy, 0, i32(p.h) - 1));
    return select(vec4<f32>(0.0), src4[row * u32(quads) + u32(clamp(t, 0, quads - 1))], inside);
}

fn windows3(plane_row: u32, iy: i32, t: i32) -> Windows {
    let lo = x_quad(plane_row, iy, t - 1);
    let mid = x_quad(plane_row, iy, t);
    let hi = x_quad(plane_row, iy, t + 1);
    return Windows(vec4<f32>(lo.w, mid.xyz), mid, vec4<f32>(mid.yzw, hi.x));
}

// acc + the three taps k of one kernel row over its windows, kx ascending.
fn taps3(acc: vec4<f32>, win: Windows, k: vec3<f32>) -> vec4<f32> {
    return fma(vec4<f32>(k.z), win.w2, fma(vec4<f32>(k.y), win.w1, fma(vec4<f32>(k.x), win.w0, acc)));
}

// Kernel row ky of output channel o and input channel c; with p.flip the
// input gradient's tap, w[c, o, 2 − ky, 2 − kx] (see conv2d_direct_forward_vec4).
fn kernel_row3(o: u32, c: u32, ky: u32) -> vec3<f32> {
    let flip = p.flip != 0u;
    let r = select(((o * p.c + c) * 3u + ky) * 3u, ((c * p.o + o) * 3u + 2u - ky) * 3u, flip);
    return vec3<f32>(weights[select(r, r + 2u, flip)], weights[r + 1u], weights[select(r + 2u, r, flip)]);
}

// conv2d_direct_forward_vec4 for 3×3 kernels with padding 1 (a DCGAN
// generator's last conv, and with p.flip its input gradient): four outputs of
// each of four rows per invocation. Each input row's three windows are
// loaded once and feed every output row they reach, and the taps are
// written out, so a channel costs 18 vec4 loads of x and 9 of weights for
// 36 vec4 FMAs, with no per-tap control flow (the general kernel spent
// ~270 cycles per tap of 8 lanes on its loop, window switch and reloads).
// The sums run in the general kernel's order (channel, ky, kx), so the
// results are the same bit for bit.
@compute @workgroup_size(WORKGROUP)
fn conv2d_direct3_forward_vec4(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let quads = p.ow / 4u;
    let bands = (p.oh + 3u) / 4u;
    let e = element_index(wg, lid, groups);
    if e >= p.batch * p.o * bands * quads {
        return;
    }
    // e = ((b·O + o)·bands + band)·OW/4 + t.
    let line = e / quads;
    let t = i32(e - line * quads);
    let plane = line / bands;
    let oy0 = (line - plane * bands) * 4u;
    let b = plane / p.o;
    let o = plane - b * p.o;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    for (var c = 0u; c < p.c; c++) {
        let k0 = kernel_row3(o, c, 0u);
        let k1 = kernel_row3(o, c, 1u);
        let k2 = kernel_row3(o, c, 2u);
        let rows = (b * p.c + c) * p.h;
        let y = i32(oy0) - 1;
        // Input row y + j feeds output row i through kernel row j − i.
        var r = windows3(rows, y, t);
        a0 = taps3(a0, r, k0);
        r = windows3(rows, y + 1, t);
        a0 = taps3(a0, r, k1);
        a1 = taps3(a1, r, k0);
        r = windows3(rows, y + 2, t);
        a0 = taps3(a0, r, k2);
        a1 = taps3(a1, r, k1);
        a2 = taps3(a2, r, k0);
        r = windows3(rows, y + 3, t);
        a1 = taps3(a1, r, k2);
        a2 = taps3(a2, r, k1);
        a3 = taps3(a3, r, k0);
        r = windows3(rows, y + 4, t);
        a2 = taps3(a2, r, k2);
        a3 = taps3(a3, r, k1);
        r = windows3(rows, y + 5, t);
        a3 = taps3(a3, r, k2);
    }
    let bias_v = select(0.0, bias[o], p.has_bias != 0u);
    let first = (plane * p.oh + oy0) * quads + u32(t);
    dst4[first] = a0 + bias_v;
    // Rows past OH (its last band) are not stored.
    if oy0 + 1u < p.oh {
        dst4[first + quads] = a1 + bias_v;
    }
    if oy0 + 2u < p.oh {
        dst4[first + 2u * quads] = a2 + bias_v;
    }
    if oy0 + 3u < p.oh {
        dst4[first + 3u * quads] = a3 + bias_v;
    }
}

// dy as vec4s, for conv2d_direct3_weight_partial.
@group(0) @binding(7) var<storage, read> grad4: array<vec4<f32>>;

// The weight gradient of a conv that takes conv2d_direct3_forward_vec4,
// per sample: dst[b, o, c, ky, kx] = Σ dy[b, o, oy, ox] · x[b, c, oy + ky − 1,
// ox + kx − 1] over the output pixels (the host then sums over b). One
// invocation per (b, o, c) walks the plane four outputs at a time: a vec4
// of dy and the three windows of each of three input rows make nine vec4
// FMAs. The lowered form would build an im2col matrix 9·C times the
// output (576× for a generator's last conv) for a one-row matmul.
@compute @workgroup_size(WORKGROUP)
fn conv2d_direct3_weight_partial(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = element_index(wg, lid, groups);
    if e >= p.batch * p.o * p.c {
        return;
    }
    // e = (b·O + o)·C + c.
    let plane = e / p.c;
    let c = e - plane * p.c;
    let b = plane / p.o;
    let rows = (b * p.c + c) * p.h;
    let quads = p.ow / 4u;
    var s00 = vec4<f32>(0.0);
    var s01 = vec4<f32>(0.0);
    var s02 = vec4<f32>(0.0);
    var s10 = vec4<f32>(0.0);
    var s11 = vec4<f32>(0.0);
    var s12 = vec4<f32>(0.0);
    var s20 = vec4<f32>(0.0);
    var s21 = vec4<f32>(0.0);
    var s22 = vec4<f32>(0.0);
    for (var oy = 0u; oy < p.oh; oy++) {
        for (var t = 0u; t < quads; t++) {
            let g = grad4[(plane * p.oh + oy) * quads + t];
            var r = windows3(rows, i32(oy) - 1, i32(t));
            s00 = fma(g, r.w0, s00);
            s01 = fma(g, r.w1, s01);
            s02 = fma(g, r.w2, s02);
            r = windows3(rows, i32(oy), i32(t));
            s10 = fma(g, r.w0, s10);
            s11 = fma(g, r.w1, s11);
            s12 = fma(g, r.w2, s12);
            r = windows3(rows, i32(oy) + 1, i32(t));
            s20 = fma(g, r.w0, s20);
            s21 = fma(g, r.w1, s21);
            s22 = fma(g, r.w2, s22);
        }
    }
    let one = vec4<f32>(1.0);
    let first = e * 9u;
    dst[first] = dot(s00, one);
    dst[first + 1u] = dot(s01, one);
    dst[first + 2u] = dot(s02, one);
    dst[first + 3u] = dot(s10, one);
    dst[first + 4u] = dot(s11, one);
    dst[first + 5u] = dot(s12, one);
    dst[first + 6u] = dot(s20, one);
    dst[first + 7u] = dot(s21, one);
    dst[first + 8u] = dot(s22, one);
}

// fold_forward with LAYOUT_PIXEL_MAJOR where planes and channels are
// multiples of 4: a block of four channels × four pixels per invocation,
// four vec4 loads and four vec4 stores (the transpose is free on
// lavapipe, one register per component), where fold_forward_vec4 makes
// four scalar loads per vec4 it stores.
@compute @workgroup_size(WORKGROUP)
fn pixel_major_blocks(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = element_index(wg, lid, groups);
    let plane_quads = p.h * p.w / 4u;
    let channel_quads = p.c / 4u;
    if e >= p.batch * channel_quads * plane_quads {
        return;
    }
    // e = (b·plane/4 + pq)·C/4 + cq: channels 4cq .. + 4, pixels 4pq .. + 4
    // (neighbouring lanes store neighbouring vec4s).
    let bp = e / channel_quads;
    let cq = e - bp * channel_quads;
    let b = bp / plane_quads;
    let pq = bp - b * plane_quads;
    let first = (b * channel_quads + cq) * 4u * plane_quads + pq;
    let block = transpose(mat4x4<f32>(
        src4[first],
        src4[first + plane_quads],
        src4[first + 2u * plane_quads],
        src4[first + 3u * plane_quads],
    ));
    // dst4[(b·plane + pixel)·C/4 + cq] for the four pixels.
    let out = (b * plane_quads + pq) * 4u * channel_quads + cq;
    dst4[out] = block[0];
    dst4[out + channel_quads] = block[1];
    dst4[out + 2u * channel_quads] = block[2];
    dst4[out + 3u * channel_quads] = block[3];
}
