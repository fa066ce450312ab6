//! Twins of `conv.wgsl`: direct loops over NCHW tensors, f64 accumulation.

use gpugan::gpu::kernels::conv::ConvShape;

/// x[b, c, iy, ix] with zero padding.
fn x_at(x: &[f64], s: &ConvShape, b: usize, c: usize, iy: isize, ix: isize) -> f64 {
    if iy < 0 || ix < 0 || iy as usize >= s.h || ix as usize >= s.w {
        return 0.0;
    }
    x[((b * s.c + c) * s.h + iy as usize) * s.w + ix as usize]
}

fn tap(out_pos: usize, k: usize, stride: usize, pad: usize) -> isize {
    (out_pos * stride + k) as isize - pad as isize
}

/// y[b, o, oy, ox] = bias[o] + Σ x[b, c, oy·s − p + i, ox·s − p + j] · w[o, c, i, j]
pub fn conv2d(
    x: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
    s: &ConvShape,
    stride: usize,
    pad: usize,
) -> Vec<f64> {
    let mut y = vec![0.0; s.batch * s.o * s.oh * s.ow];
    for b in 0..s.batch {
        for o in 0..s.o {
            for oy in 0..s.oh {
                for ox in 0..s.ow {
                    let mut acc = bias.map_or(0.0, |bias| bias[o]);
                    for c in 0..s.c {
                        for i in 0..s.kh {
                            for j in 0..s.kw {
                                let xv = x_at(
                                    x,
                                    s,
                                    b,
                                    c,
                                    tap(oy, i, stride, pad),
                                    tap(ox, j, stride, pad),
                                );
                                acc += xv * w[((o * s.c + c) * s.kh + i) * s.kw + j];
                            }
                        }
                    }
                    y[((b * s.o + o) * s.oh + oy) * s.ow + ox] = acc;
                }
            }
        }
    }
    y
}

/// dx = Σ over the output pixels each input pixel feeds, written as the
/// scatter that is the adjoint of `conv2d` (plus a per-channel bias, which
/// makes it conv_transpose2d's forward).
pub fn conv2d_backward_input(
    dy: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
    s: &ConvShape,
    stride: usize,
    pad: usize,
) -> Vec<f64> {
    let mut dx = vec![0.0; s.batch * s.c * s.h * s.w];
    for b in 0..s.batch {
        for c in 0..s.c {
            for v in &mut dx[(b * s.c + c) * s.h * s.w..(b * s.c + c + 1) * s.h * s.w] {
                *v = bias.map_or(0.0, |bias| bias[c]);
            }
        }
        for o in 0..s.o {
            for oy in 0..s.oh {
                for ox in 0..s.ow {
                    let g = dy[((b * s.o + o) * s.oh + oy) * s.ow + ox];
                    for c in 0..s.c {
                        for i in 0..s.kh {
                            for j in 0..s.kw {
                                let (iy, ix) = (tap(oy, i, stride, pad), tap(ox, j, stride, pad));
                                if iy >= 0 && ix >= 0 && (iy as usize) < s.h && (ix as usize) < s.w
                                {
                                    dx[((b * s.c + c) * s.h + iy as usize) * s.w + ix as usize] +=
                                        g * w[((o * s.c + c) * s.kh + i) * s.kw + j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    dx
}

/// dw[o, c, i, j] = Σ_{b, oy, ox} dy[b, o, oy, ox] · x[b, c, oy·s − p + i, ox·s − p + j]
pub fn conv2d_backward_weight(
    x: &[f64],
    dy: &[f64],
    s: &ConvShape,
    stride: usize,
    pad: usize,
) -> Vec<f64> {
    let mut dw = vec![0.0; s.o * s.c * s.kh * s.kw];
    for o in 0..s.o {
        for c in 0..s.c {
            for i in 0..s.kh {
                for j in 0..s.kw {
                    let mut acc = 0.0;
                    for b in 0..s.batch {
                        for oy in 0..s.oh {
                            for ox in 0..s.ow {
                                acc += dy[((b * s.o + o) * s.oh + oy) * s.ow + ox]
                                    * x_at(
                                        x,
                                        s,
                                        b,
                                        c,
                                        tap(oy, i, stride, pad),
                                        tap(ox, j, stride, pad),
                                    );
                            }
                        }
                    }
                    dw[((o * s.c + c) * s.kh + i) * s.kw + j] = acc;
                }
            }
        }
    }
    dw
}

/// A kernel-4 stride-2 transposed conv's weights w [C_in, C_out, 4, 4] as
/// its four output phases' 2×2 conv weights [(py, px), C_out, ty, tx,
/// C_in]: tap (ty, tx) of phase (py, px) is w[.., .., 3 − py − 2ty,
/// 3 − px − 2tx].
pub fn phase_weights(w: &[f64], c_in: usize, c_out: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(16 * c_in * c_out);
    for (py, px) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        for o in 0..c_out {
            for (ty, tx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let (ky, kx) = (3 - py - 2 * ty, 3 - px - 2 * tx);
                for c in 0..c_in {
                    out.push(w[((c * c_out + o) * 4 + ky) * 4 + kx]);
                }
            }
        }
    }
    out
}
