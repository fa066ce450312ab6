// 2-D convolution, NCHW, f32, as implicit GEMMs (no im2col buffer):
//
//   conv2d_forward:         y[b,o,oy,ox] = act(bias[o] + Σ_{c,i,j} x[b,c,oy·s−p+i, ox·s−p+j] · w[o,c,i,j])
//   conv2d_backward_input:  dx[b,c,iy,ix] = bias[c] + Σ_{o,i,j} dy[b,o,oy,ox] · w[o,c,i,j]
//                           over oy·s − p + i = iy, ox·s − p + j = ix
//                           (also conv_transpose2d's forward, w as [in, out, kh, kw])
//   conv2d_backward_weight: dw[o,c,i,j] = Σ_{b,oy,ox} dy[b,o,oy,ox] · x[b,c,oy·s−p+i, ox·s−p+j]
//
// x is [B, C, H, W], w [O, C, KH, KW], y / dy [B, O, OH, OW]. Each invocation
// computes 4 GEMM rows (8 apart, so neighbouring invocations touch
// neighbouring pixels) × 4 GEMM columns; out-of-image taps read as zero.

struct Params {
    batch: u32,
    c: u32,
    h: u32,
    w: u32,
    o: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad: u32,
    has_bias: u32,
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> lhs: array<f32>;  // x (forward, weight grad) or dy (input grad)
@group(0) @binding(2) var<storage, read> rhs: array<f32>;  // w (forward, input grad) or dy (weight grad)
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// Activation codes shared with src/gpu/kernels/matmul.rs.
fn activate(v: f32) -> f32 {
    switch p.act {
        case 1u: { return max(v, 0.0); }
        case 2u: { return select(p.slope * v, v, v > 0.0); }
        case 3u: { return tanh(clamp(v, -15.0, 15.0)); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        default: { return v; }
    }
}

// x[b, c, iy, ix], zero outside the image (iy, ix may be "negative" as wrapped u32).
fn x_at(b: u32, c: u32, iy: i32, ix: i32) -> f32 {
    let inside = iy >= 0 && ix >= 0 && u32(iy) < p.h && u32(ix) < p.w;
    let idx = ((b * p.c + c) * p.h + u32(max(iy, 0))) * p.w + u32(max(ix, 0));
    return select(0.0, lhs[min(idx, arrayLength(&lhs) - 1u)], inside);
}

@compute @workgroup_size(8, 8, 1)
fn conv2d_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let rows = p.batch * p.oh * p.ow;
    let taps = p.kh * p.kw;
    let k_len = p.c * taps;
    let o0 = (wg.y * 8u + lid.y) * 4u;
    // Row r is output pixel m = (b, oy, ox).
    var b: array<u32, 4>;
    var y0: array<i32, 4>;
    var x0: array<i32, 4>;
    for (var r = 0u; r < 4u; r++) {
        let m = min(wg.x * 32u + lid.x + 8u * r, rows - 1u);
        b[r] = m / (p.oh * p.ow);
        let pix = m % (p.oh * p.ow);
        y0[r] = i32((pix / p.ow) * p.stride) - i32(p.pad);
        x0[r] = i32((pix % p.ow) * p.stride) - i32(p.pad);
    }
    var acc = mat4x4<f32>(); // acc[r]: row r over the 4 output channels
    for (var k = 0u; k < k_len; k++) {
        let c = k / taps;
        let i = i32((k % taps) / p.kw);
        let j = i32(k % p.kw);
        let wv = vec4<f32>(
            rhs[min(o0, p.o - 1u) * k_len + k],
            rhs[min(o0 + 1u, p.o - 1u) * k_len + k],
            rhs[min(o0 + 2u, p.o - 1u) * k_len + k],
            rhs[min(o0 + 3u, p.o - 1u) * k_len + k],
        );
        acc[0] = fma(vec4<f32>(x_at(b[0], c, y0[0] + i, x0[0] + j)), wv, acc[0]);
        acc[1] = fma(vec4<f32>(x_at(b[1], c, y0[1] + i, x0[1] + j)), wv, acc[1]);
        acc[2] = fma(vec4<f32>(x_at(b[2], c, y0[2] + i, x0[2] + j)), wv, acc[2]);
        acc[3] = fma(vec4<f32>(x_at(b[3], c, y0[3] + i, x0[3] + j)), wv, acc[3]);
    }
    let plane = p.oh * p.ow;
    for (var r = 0u; r < 4u; r++) {
        let m = wg.x * 32u + lid.x + 8u * r;
        if m >= rows {
            break;
        }
        let bb = m / plane;
        let pix = m % plane;
        for (var q = 0u; q < 4u; q++) {
            let o = o0 + q;
            if o < p.o {
                let bias_v = select(0.0, bias[o], p.has_bias != 0u);
                out[(bb * p.o + o) * plane + pix] = activate(acc[r][q] + bias_v);
            }
        }
    }
}

// dy[b, o, oy, ox] for the output pixel that tap (i, j) of input pixel
// (iy, ix) reads from, zero when there is none (stride skips it or it lies
// outside the output).
fn dy_for_input(b: u32, o: u32, iy: u32, ix: u32, i: u32, j: u32) -> f32 {
    let ty = i32(iy + p.pad) - i32(i);
    let tx = i32(ix + p.pad) - i32(j);
    let s = i32(p.stride);
    let oy = ty / s;
    let ox = tx / s;
    let hit = ty >= 0 && tx >= 0 && ty % s == 0 && tx % s == 0 && u32(oy) < p.oh && u32(ox) < p.ow;
    let idx = ((b * p.o + o) * p.oh + u32(max(oy, 0))) * p.ow + u32(max(ox, 0));
    return select(0.0, lhs[min(idx, arrayLength(&lhs) - 1u)], hit);
}

@compute @workgroup_size(8, 8, 1)
fn conv2d_backward_input(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let plane = p.h * p.w;
    let rows = p.batch * plane;
    let taps = p.kh * p.kw;
    let k_len = p.o * taps;
    let c0 = (wg.y * 8u + lid.y) * 4u;
    // Row r is input pixel m = (b, iy, ix).
    var b: array<u32, 4>;
    var iy: array<u32, 4>;
    var ix: array<u32, 4>;
    for (var r = 0u; r < 4u; r++) {
        let m = min(wg.x * 32u + lid.x + 8u * r, rows - 1u);
        b[r] = m / plane;
        iy[r] = (m % plane) / p.w;
        ix[r] = m % p.w;
    }
    let last_c = p.c - 1u;
    var acc = mat4x4<f32>();
    for (var k = 0u; k < k_len; k++) {
        let o = k / taps;
        let tap = k % taps;
        let i = tap / p.kw;
        let j = tap % p.kw;
        // w[o, c, i, j] for the 4 channels c0..c0+4.
        let wv = vec4<f32>(
            rhs[(o * p.c + min(c0, last_c)) * taps + tap],
            rhs[(o * p.c + min(c0 + 1u, last_c)) * taps + tap],
            rhs[(o * p.c + min(c0 + 2u, last_c)) * taps + tap],
            rhs[(o * p.c + min(c0 + 3u, last_c)) * taps + tap],
        );
        acc[0] = fma(vec4<f32>(dy_for_input(b[0], o, iy[0], ix[0], i, j)), wv, acc[0]);
        acc[1] = fma(vec4<f32>(dy_for_input(b[1], o, iy[1], ix[1], i, j)), wv, acc[1]);
        acc[2] = fma(vec4<f32>(dy_for_input(b[2], o, iy[2], ix[2], i, j)), wv, acc[2]);
        acc[3] = fma(vec4<f32>(dy_for_input(b[3], o, iy[3], ix[3], i, j)), wv, acc[3]);
    }
    for (var r = 0u; r < 4u; r++) {
        let m = wg.x * 32u + lid.x + 8u * r;
        if m >= rows {
            break;
        }
        for (var q = 0u; q < 4u; q++) {
            let c = c0 + q;
            if c < p.c {
                let bias_v = select(0.0, bias[c], p.has_bias != 0u);
                out[((m / plane) * p.c + c) * plane + m % plane] = activate(acc[r][q] + bias_v);
            }
        }
    }
}

// GEMM rows are output channels o (4 per invocation, 8 apart), columns are
// weight taps n = (c, i, j) (4 contiguous), and the reduction runs over
// every output pixel (b, oy, ox) of the batch.
@compute @workgroup_size(8, 8, 1)
fn conv2d_backward_weight(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let taps = p.kh * p.kw;
    let cols = p.c * taps;
    let plane = p.oh * p.ow;
    let k_len = p.batch * plane;
    let n0 = (wg.y * 8u + lid.y) * 4u;
    var ch: array<u32, 4>;
    var ti: array<i32, 4>;
    var tj: array<i32, 4>;
    for (var q = 0u; q < 4u; q++) {
        let n = min(n0 + q, cols - 1u);
        ch[q] = n / taps;
        ti[q] = i32((n % taps) / p.kw) - i32(p.pad);
        tj[q] = i32(n % p.kw) - i32(p.pad);
    }
    var oo: array<u32, 4>;
    for (var r = 0u; r < 4u; r++) {
        oo[r] = min(wg.x * 32u + lid.x + 8u * r, p.o - 1u);
    }
    var acc = mat4x4<f32>(); // acc[r]: output channel r over the 4 taps
    for (var k = 0u; k < k_len; k++) {
        let bb = k / plane;
        let pix = k % plane;
        let sy = i32((pix / p.ow) * p.stride);
        let sx = i32((pix % p.ow) * p.stride);
        let xv = vec4<f32>(
            x_at(bb, ch[0], sy + ti[0], sx + tj[0]),
            x_at(bb, ch[1], sy + ti[1], sx + tj[1]),
            x_at(bb, ch[2], sy + ti[2], sx + tj[2]),
            x_at(bb, ch[3], sy + ti[3], sx + tj[3]),
        );
        let dy_base = bb * p.o * plane + pix;
        acc[0] = fma(vec4<f32>(rhs[dy_base + oo[0] * plane]), xv, acc[0]);
        acc[1] = fma(vec4<f32>(rhs[dy_base + oo[1] * plane]), xv, acc[1]);
        acc[2] = fma(vec4<f32>(rhs[dy_base + oo[2] * plane]), xv, acc[2]);
        acc[3] = fma(vec4<f32>(rhs[dy_base + oo[3] * plane]), xv, acc[3]);
    }
    for (var r = 0u; r < 4u; r++) {
        let o = wg.x * 32u + lid.x + 8u * r;
        if o >= p.o {
            break;
        }
        for (var q = 0u; q < 4u; q++) {
            let n = n0 + q;
            if n < cols {
                out[o * cols + n] = acc[r][q];
            }
        }
    }
}
