//! conv2d forward, its input and weight gradients, and conv_transpose2d
//! (the input gradient), NCHW, each lowered to one matmul (the batch folded
//! into the pixel dimension, so the matmul is large enough for the vec4
//! kernel) with the gathers of `shaders/conv.wgsl`; convs at stride 1 with
//! fewer outputs than a tiled matmul wants skip the lowering
//! (`takes_direct`; 3×3 ones with padding 1 also for the weight gradient,
//! `takes_direct_3x3`). On lavapipe the forward's and the weight gradient's
//! matmuls read the im2col matrix straight from x where the shapes allow
//! (`takes_implicit_im2col`, `weight_grad_takes_implicit_im2col`; the
//! forward's x padded to four channels where it has fewer), the forward
//! storing y itself, and a kernel-4 stride-2 transposed conv — so
//! also the input gradient of such a conv — runs as four such 2×2 convs,
//! one per output phase, instead of a matmul and col2im
//! (`transpose_takes_sub_pixel`, `input_grad_takes_sub_pixel`).

use super::matmul::{
    Activation, ImplicitConv, MatmulSpec, THIN_OUTPUT, conv_matmul_into,
    conv_weight_grad_matmul_into, matmul_into,
};
use super::reduce::sum_axis_into;
use super::{WORKGROUP_1D, as_u32};
use crate::error::{Error, Result, expect_shape};
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Kernel, Tensor};
use std::sync::{Arc, OnceLock};

/// Stride and zero padding, equal along both axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dSpec {
    pub stride: usize,
    pub padding: usize,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
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
    /// Leaky ReLU's; the activation itself is the kernel's `ACT` constant
    /// (`Activation::specialise`).
    slope: f32,
    has_bias: u32,
    o: u32,
    /// The direct kernels' flipped taps (`launch_direct`).
    flip: u32,
    _pad: [u32; 2],
}

/// All sizes of one convolution: x [B, C, H, W], w [O, C, KH, KW], y [B, O, OH, OW].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
}

impl ConvShape {
    pub fn input(&self) -> [usize; 4] {
        [self.batch, self.c, self.h, self.w]
    }

    pub fn weight(&self) -> [usize; 4] {
        [self.o, self.c, self.kh, self.kw]
    }

    pub fn output(&self) -> [usize; 4] {
        [self.batch, self.o, self.oh, self.ow]
    }

    /// Multiply-adds × 2 of the forward pass (each gradient costs the same).
    pub fn flops(&self) -> f64 {
        2.0 * (self.batch * self.o * self.oh * self.ow * self.c * self.kh * self.kw) as f64
    }
}

fn four_d(op: &'static str, what: &str, shape: &[usize]) -> Result<[usize; 4]> {
    shape.try_into().map_err(|_| Error::Invalid {
        op,
        reason: format!("{what} must be 4-D (N, C, H, W), found {shape:?}"),
    })
}

/// Output size along one axis, or an error when the kernel does not fit.
fn out_size(op: &'static str, size: usize, k: usize, spec: Conv2dSpec) -> Result<usize> {
    if spec.stride == 0 {
        return Err(Error::Invalid {
            op,
            reason: "stride must be at least 1".into(),
        });
    }
    let padded = size + 2 * spec.padding;
    if padded < k {
        return Err(Error::Invalid {
            op,
            reason: format!("kernel {k} is larger than the padded input {padded}"),
        });
    }
    Ok((padded - k) / spec.stride + 1)
}

/// Shapes of conv2d(x, w): checks channels and that the kernel fits.
pub fn conv2d_shape(x: &[usize], w: &[usize], spec: Conv2dSpec) -> Result<ConvShape> {
    let [batch, c, h, wd] = four_d("conv2d", "input", x)?;
    let [o, cw, kh, kw] = four_d("conv2d", "weight", w)?;
    if c != cw {
        return Err(Error::Shape {
            op: "conv2d",
            what: format!("input {x:?} and weight {w:?} differ in input channels"),
            expected: vec![c],
            found: vec![cw],
        });
    }
    Ok(ConvShape {
        batch,
        c,
        h,
        w: wd,
        o,
        oh: out_size("conv2d", h, kh, spec)?,
        ow: out_size("conv2d", wd, kw, spec)?,
        kh,
        kw,
    })
}

/// Shapes of conv_transpose2d(x, w) with w [C_in, C_out, KH, KW] as PyTorch
/// stores it, expressed as the conv2d whose input gradient it is.
pub fn conv_transpose2d_shape(x: &[usize], w: &[usize], spec: Conv2dSpec) -> Result<ConvShape> {
    let [batch, cin, h, wd] = four_d("conv_transpose2d", "input", x)?;
    let [cw, cout, kh, kw] = four_d("conv_transpose2d", "weight", w)?;
    if cin != cw {
        return Err(Error::Shape {
            op: "conv_transpose2d",
            what: format!("input {x:?} and weight {w:?} differ in input channels"),
            expected: vec![cin],
            found: vec![cw],
        });
    }
    let grown = |n: usize, k: usize| {
        ((n - 1) * spec.stride + k)
            .checked_sub(2 * spec.padding)
            .filter(|&v| v > 0)
    };
    let (Some(oh), Some(ow)) = (grown(h, kh), grown(wd, kw)) else {
        return Err(Error::Invalid {
            op: "conv_transpose2d",
            reason: format!("padding {} leaves no output for input {x:?}", spec.padding),
        });
    };
    Ok(ConvShape {
        batch,
        c: cout,
        h: oh,
        w: ow,
        o: cin,
        oh: h,
        ow: wd,
        kh,
        kw,
    })
}

/// A spec that moves no pixel: the permutes' and the bias pass's.
const IDENTITY: Conv2dSpec = Conv2dSpec {
    stride: 1,
    padding: 0,
};

fn params(s: &ConvShape, spec: Conv2dSpec, bias: bool, act: Activation) -> Result<Params> {
    let (_, slope) = act.code_and_slope();
    let u = |what, v| as_u32("conv2d", what, v);
    Ok(Params {
        batch: u("batch", s.batch)?,
        c: u("channels", s.c)?,
        h: u("height", s.h)?,
        w: u("width", s.w)?,
        oh: u("output height", s.oh)?,
        ow: u("output width", s.ow)?,
        kh: u("kernel height", s.kh)?,
        kw: u("kernel width", s.kw)?,
        stride: u("stride", spec.stride)?,
        pad: u("padding", spec.padding)?,
        slope,
        has_bias: u32::from(bias),
        o: u("output channels", s.o)?,
        flip: 0,
        _pad: [0; 2],
    })
}

fn launch_kernel(
    gpu: &Gpu,
    kernel: &Kernel,
    p: &Params,
    invocations: usize,
    bufs: &[(u32, &Tensor)],
) {
    gpu.dispatch(kernel, p, bufs, gpu.grid(invocations, WORKGROUP_1D));
}

/// Launches `entry` over a 2-D grid: x covers a row of `row` elements, z
/// indexes the `rows` (so the kernel's per-row index math is uniform).
fn launch_rows(
    gpu: &Gpu,
    entry: &'static str,
    p: &Params,
    row: usize,
    rows: usize,
    bufs: &[(u32, &Tensor)],
) -> Result<()> {
    let max = gpu.limits().max_compute_workgroups_per_dimension as usize;
    let (x, y, z) = (row.div_ceil(WORKGROUP_1D as usize), 1, rows);
    if x > max || z > max {
        return Err(Error::Invalid {
            op: "conv",
            reason: format!(
                "{entry}: grid {x}×{y}×{z} exceeds the adapter's {max} workgroups per dimension"
            ),
        });
    }
    let kernel = Kernel::new(Shader::Conv, entry);
    gpu.dispatch(&kernel, p, bufs, [x as u32, y as u32, z as u32]);
    Ok(())
}

/// cols [C·KH·KW, B·OH·OW] of x: the weight gradient's B operand (K =
/// B·OH·OW contiguous).
fn im2col(gpu: &Gpu, x: &Tensor, s: &ConvShape, spec: Conv2dSpec) -> Result<Tensor> {
    let rows = s.c * s.kh * s.kw;
    let cols = gpu.empty(&[rows, s.batch * s.oh * s.ow])?;
    let p = params(s, spec, false, Activation::None)?;
    let row = s.batch * s.oh * s.ow;
    if row.is_multiple_of(4) {
        // Four entries per invocation, one vec4 store (see the shader).
        launch_rows(
            gpu,
            "im2col_forward_vec4",
            &p,
            row / 4,
            rows,
            &[(1, x), (4, &cols)],
        )?;
    } else {
        launch_rows(gpu, "im2col_forward", &p, row, rows, &[(1, x), (2, &cols)])?;
    }
    Ok(cols)
}

/// rows = colsᵀ [B·OH·OW, C·KH·KW] of x: the forward matmul's B operand,
/// K contiguous (see `shaders/conv.wgsl`).
fn im2col_pixel_major(gpu: &Gpu, x: &Tensor, s: &ConvShape, spec: Conv2dSpec) -> Result<Tensor> {
    let row = s.c * s.kh * s.kw;
    let rows = gpu.empty(&[s.batch * s.oh * s.ow, row])?;
    let p = params(s, spec, false, Activation::None)?;
    if row.is_multiple_of(4) {
        // Four entries of one row per invocation, one vec4 store.
        let kernel = Kernel::new(Shader::Conv, "im2col_pixel_major_forward_vec4");
        launch_kernel(gpu, &kernel, &p, rows.len() / 4, &[(1, x), (4, &rows)]);
    } else {
        let kernel = Kernel::new(Shader::Conv, "im2col_pixel_major_forward");
        launch_kernel(gpu, &kernel, &p, rows.len(), &[(1, x), (2, &rows)]);
    }
    Ok(rows)
}

/// How `fold_into` permutes a [B, O, OH, OW] tensor; the codes are
/// conv.wgsl's LAYOUT_* constants.
#[derive(Clone, Copy)]
enum Layout {
    /// → [O, B·OH·OW], the lowered conv's output matrix.
    Fold = 0,
    /// [O, B·OH·OW] → [B, O, OH, OW].
    Unfold = 1,
    /// → [B·OH·OW, O], the same matrix transposed (K = O contiguous).
    PixelMajor = 2,
    /// [B, OH·OW, O] → [B, O, OH, OW], the inverse of PixelMajor.
    ChannelsFirst = 3,
}

/// Permutes `t` as `layout` says into `out`; `s` gives B, O, OH, OW.
fn fold_into(gpu: &Gpu, t: &Tensor, s: &ConvShape, layout: Layout, out: &Tensor) -> Result<()> {
    let shape = ConvShape {
        c: s.o,
        h: s.oh,
        w: s.ow,
        ..*s
    };
    let p = params(&shape, IDENTITY, false, Activation::None)?;
    let code = f64::from(layout as u8);
    let plane_quads = (s.oh * s.ow).is_multiple_of(4);
    if matches!(layout, Layout::PixelMajor) && plane_quads && s.o.is_multiple_of(4) {
        // 4×4 blocks, vec4 loads and stores (see the shader).
        let kernel = Kernel::new(Shader::Conv, "pixel_major_blocks");
        launch_kernel(gpu, &kernel, &p, out.len() / 16, &[(5, t), (4, out)]);
        return Ok(());
    }
    let quads = match layout {
        Layout::PixelMajor => s.o.is_multiple_of(4),
        Layout::Fold | Layout::Unfold => plane_quads,
        // Only small tensors so far (weight gradients).
        Layout::ChannelsFirst => false,
    };
    if quads {
        // Four values per invocation, one vec4 store (see the shader).
        let kernel = Kernel::new(Shader::Conv, "fold_forward_vec4").with("LAYOUT", code);
        launch_kernel(gpu, &kernel, &p, out.len() / 4, &[(1, t), (5, t), (4, out)]);
    } else {
        let kernel = Kernel::new(Shader::Conv, "fold_forward").with("LAYOUT", code);
        launch_kernel(gpu, &kernel, &p, out.len(), &[(1, t), (2, out)]);
    }
    Ok(())
}

/// t [N, C, H, W] as [N·H·W, C] (NHWC).
fn pixel_major(gpu: &Gpu, t: &Tensor, dims: [usize; 4]) -> Result<Tensor> {
    let shape = pixel_major_shape(dims, dims[1]);
    let out = gpu.empty(&[shape.batch * shape.h * shape.w, shape.c])?;
    fold_into(gpu, t, &shape, Layout::PixelMajor, &out)?;
    Ok(out)
}

/// A conv operand (x or dy, [N, C, H, W]) whose pixel-major copy
/// (`pixel_major`, NHWC) is made at most once: the lavapipe paths read x
/// and dy NHWC, and a conv's forward and weight gradient read the same x,
/// its input and weight gradients the same dy (BENCHMARKS.md item 36).
/// Clones share the copy, so it is only for tensors that do not change
/// while it lives: the autograd ops hold one per input and gradient.
#[derive(Clone)]
pub struct SharedOperand {
    tensor: Tensor,
    nhwc: Arc<OnceLock<Tensor>>,
}

impl SharedOperand {
    pub fn new(tensor: &Tensor) -> Self {
        Self {
            tensor: tensor.clone(),
            nhwc: Arc::default(),
        }
    }

    pub fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// The tensor as [N·H·W, C], permuted on first use.
    fn nhwc(&self, gpu: &Gpu) -> Result<Tensor> {
        if let Some(t) = self.nhwc.get() {
            return Ok(t.clone());
        }
        let dims = four_d("conv", "operand", self.tensor.shape())?;
        let t = pixel_major(gpu, &self.tensor, dims)?;
        Ok(self.nhwc.get_or_init(|| t).clone())
    }
}

/// The shape the permutes take for t [N, C, H, W] held pixel major with
/// `held` (≥ C) channels a pixel: O = `held`, output plane = input plane.
fn pixel_major_shape([n, c, h, w]: [usize; 4], held: usize) -> ConvShape {
    ConvShape {
        batch: n,
        c,
        h,
        w,
        o: held,
        oh: h,
        ow: w,
        kh: 1,
        kw: 1,
    }
}

/// t [N, C, H, W] as [N·H·W, held] (NHWC), each pixel's channels padded
/// with zeros to `held` (C, or 4 where C < 4: `implicit_forward`).
fn pixel_major_padded(gpu: &Gpu, t: &Tensor, dims: [usize; 4], held: usize) -> Result<Tensor> {
    let c = dims[1];
    if held == c {
        return pixel_major(gpu, t, dims);
    }
    debug_assert!(held == 4 && c < 4, "{c} channels held as {held}");
    let shape = pixel_major_shape(dims, held);
    let out = gpu.empty(&[shape.batch * shape.h * shape.w, held])?;
    let p = params(&shape, IDENTITY, false, Activation::None)?;
    // One texel (vec4) a pixel.
    let kernel = Kernel::new(Shader::Conv, "fold_forward_vec4")
        .with("LAYOUT", f64::from(Layout::PixelMajor as u8));
    let bufs = [(1, t), (5, t), (4, &out)];
    launch_kernel(gpu, &kernel, &p, out.len() / 4, &bufs);
    Ok(out)
}

/// dy [B, O, OH, OW] as the [O, B·OH·OW] matrix of the lowered conv.
fn fold(gpu: &Gpu, dy: &Tensor, s: &ConvShape) -> Result<Tensor> {
    let out = gpu.empty(&[s.o, s.batch * s.oh * s.ow])?;
    fold_into(gpu, dy, s, Layout::Fold, &out)?;
    Ok(out)
}

/// x-shaped sums of cols over the taps that read each pixel, into `out`.
fn col2im_into(
    gpu: &Gpu,
    cols: &Tensor,
    s: &ConvShape,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    let p = params(s, spec, false, Activation::None)?;
    let row = s.batch * s.h * s.w;
    if (s.h * s.w).is_multiple_of(4) {
        // Four pixels of a plane per invocation, one vec4 store.
        launch_rows(
            gpu,
            "col2im_forward_vec4",
            &p,
            row / 4,
            s.c,
            &[(1, cols), (4, out)],
        )
    } else {
        launch_rows(gpu, "col2im_forward", &p, row, s.c, &[(1, cols), (2, out)])
    }
}

/// t ← act(t + bias per channel), in place; nothing to do without either.
/// Without a bias, `stand_in` (any other tensor) fills the unread bias
/// binding: t itself is bound read-write, and wgpu refuses one buffer bound
/// both ways in a dispatch.
fn bias_act(
    gpu: &Gpu,
    t: &Tensor,
    s: &ConvShape,
    (bias, stand_in): (Option<&Tensor>, &Tensor),
    act: Activation,
) -> Result<()> {
    if bias.is_none() && act == Activation::None {
        return Ok(());
    }
    let [b, c, h, w]: [usize; 4] = t.shape().try_into().expect("4-D");
    let shape = ConvShape {
        batch: b,
        c,
        h,
        w,
        ..*s
    };
    let p = params(&shape, IDENTITY, bias.is_some(), act)?;
    let bias = bias.unwrap_or(stand_in);
    // Four values of one plane per invocation where the planes allow.
    let (entry, invocations, bufs) = if (h * w).is_multiple_of(4) {
        ("bias_act_forward_vec4", t.len() / 4, [(4, t), (3, bias)])
    } else {
        ("bias_act_forward", t.len(), [(2, t), (3, bias)])
    };
    let kernel = act.specialise(Kernel::new(Shader::Conv, entry));
    launch_kernel(gpu, &kernel, &p, invocations, &bufs);
    Ok(())
}

fn check_bias(op: &'static str, bias: Option<&Tensor>, channels: usize) -> Result<()> {
    match bias {
        Some(b) => expect_shape(op, "bias", &[channels], b.shape()),
        None => Ok(()),
    }
}

/// w [O, C, KH, KW] viewed as the [O, C·KH·KW] matrix of the lowered conv.
fn weight_matrix(w: &Tensor, s: &ConvShape) -> Result<Tensor> {
    w.reshape(&[s.o, s.c * s.kh * s.kw])
}

/// Whether the forward skips im2col (`conv2d_direct_forward_vec4`): stride
/// 1, rows of a multiple of 4 in and out, and fewer output channels than
/// the matmul's thin-output limit, where the im2col matrix would be
/// C·KH·KW times the output (a generator's last conv: 576×).
fn takes_direct(s: &ConvShape, spec: Conv2dSpec) -> bool {
    spec.stride == 1 && s.o < THIN_OUTPUT && s.w.is_multiple_of(4) && s.ow.is_multiple_of(4)
}

/// Whether a conv that `takes_direct` runs `conv2d_direct3_forward_vec4`
/// (3×3 kernels with padding 1: four output rows per invocation), forward
/// and input gradient alike, and its weight gradient
/// `conv2d_direct3_weight_partial`.
pub fn takes_direct_3x3(s: &ConvShape, spec: Conv2dSpec) -> bool {
    takes_direct(s, spec) && is_3x3_same(s, spec.padding)
}

/// A 3×3 kernel with padding 1 (the output the size of the input at
/// stride 1).
fn is_3x3_same(s: &ConvShape, padding: usize) -> bool {
    s.kh == 3 && s.kw == 3 && padding == 1
}

/// Records the direct conv `s` at stride 1 (with `flip`, the input
/// gradient of the conv whose taps it flips; `s` is then that gradient's
/// conv, dy to dx).
fn launch_direct(
    gpu: &Gpu,
    (s, padding): (&ConvShape, usize),
    flip: bool,
    p: &Params,
    bufs: &[(u32, &Tensor)],
) {
    let quads = s.batch * s.o * s.ow / 4;
    let (entry, invocations) = if is_3x3_same(s, padding) {
        ("conv2d_direct3_forward_vec4", quads * s.oh.div_ceil(4))
    } else {
        ("conv2d_direct_forward_vec4", quads * s.oh)
    };
    let p = Params {
        flip: u32::from(flip),
        ..*p
    };
    let kernel = Kernel::new(Shader::Conv, entry);
    launch_kernel(gpu, &kernel, &p, invocations, bufs);
}

/// The input gradient of a conv that `takes_direct`, as the direct conv of
/// dy with the flipped taps (square kernels whose padding leaves a
/// non-negative one for the gradient); false where it does not apply.
fn direct_input_grad(
    gpu: &Gpu,
    dy: &Tensor,
    w: &Tensor,
    s: &ConvShape,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<bool> {
    if !takes_direct(s, spec) || s.kh != s.kw || spec.padding >= s.kh {
        return Ok(false);
    }
    // The conv from dy [B, O, OH, OW] to dx [B, C, H, W].
    let grad = ConvShape {
        batch: s.batch,
        c: s.o,
        h: s.oh,
        w: s.ow,
        o: s.c,
        oh: s.h,
        ow: s.w,
        kh: s.kh,
        kw: s.kw,
    };
    let grad_spec = Conv2dSpec {
        stride: 1,
        padding: s.kh - 1 - spec.padding,
    };
    let p = params(&grad, grad_spec, false, Activation::None)?;
    let bufs = [(5, dy), (6, w), (3, w), (4, out)];
    launch_direct(gpu, (&grad, grad_spec.padding), true, &p, &bufs);
    Ok(true)
}

/// Whether `conv2d_into` on `gpu` reads the im2col matrix of `s`
/// straight from x (the lavapipe kernel's B_CONV) instead of running
/// im2col.
pub fn takes_implicit_im2col(gpu: &Gpu, s: &ConvShape, spec: Conv2dSpec) -> bool {
    implicit_forward(gpu, s, spec).is_some()
}

/// The lavapipe kernel's conv for the forward of `s`, where it takes it.
/// Fewer than four input channels are held padded with zero channels to
/// four, one texel a pixel: a C = 1 conv (a critic's first, on grey
/// images) then needs no im2col, unfold or bias pass (W3's conv 1 forward
/// −25%, BENCHMARKS.md item 30); the zeros add exact zeros.
fn implicit_forward(gpu: &Gpu, s: &ConvShape, spec: Conv2dSpec) -> Option<ImplicitConv> {
    if takes_direct(s, spec) {
        return None;
    }
    let padded = ConvShape {
        c: s.c.max(4),
        ..*s
    };
    let conv = ImplicitConv::of(&padded, spec);
    conv.fits(gpu).then_some(conv)
}

/// y = act(conv2d(x, w) + bias) into `out` [B, O, OH, OW].
pub fn conv2d_into(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
    act: Activation,
    out: &Tensor,
) -> Result<()> {
    conv2d_shared_into(gpu, &SharedOperand::new(x), w, bias, spec, act, out)
}

/// As `conv2d_into`, x's NHWC copy shared (`SharedOperand`).
pub fn conv2d_shared_into(
    gpu: &Gpu,
    x: &SharedOperand,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
    act: Activation,
    out: &Tensor,
) -> Result<()> {
    let x_operand = x;
    let x = x_operand.tensor();
    let s = conv2d_shape(x.shape(), w.shape(), spec)?;
    expect_shape("conv2d", "output", &s.output(), out.shape())?;
    check_bias("conv2d", bias, s.o)?;
    if takes_direct(&s, spec) {
        // The activation as a pass after it: as part of the kernel it
        // would take a pipeline apart from the input gradient's, each
        // compiled with LLVM on lavapipe (~0.25 s for the 3×3 kernel).
        let p = params(&s, spec, bias.is_some(), Activation::None)?;
        let bufs = [(5, x), (6, w), (3, bias.unwrap_or(w)), (4, out)];
        launch_direct(gpu, (&s, spec.padding), false, &p, &bufs);
        return bias_act(gpu, out, &s, (None, w), act);
    }
    if let Some(implicit) = implicit_forward(gpu, &s, spec) {
        // The lavapipe kernel reads the im2col matrix straight from x held
        // NHWC (B_CONV in shaders/matmul_lanes8.wgsl), its rows over
        // (ky, kx, c), so w goes as [O, KH, KW, C]: two small permutes
        // instead of im2col and a copy of its matrix into a texture; it
        // stores y itself, bias and activation applied (tanh and sigmoid
        // by a pass after it).
        let channels = implicit.shape.c;
        let x_nhwc = if channels == s.c {
            x_operand.nhwc(gpu)?
        } else {
            pixel_major_padded(gpu, x, [s.batch, s.c, s.h, s.w], channels)?
        };
        let w_rows = pixel_major_padded(gpu, w, [s.o, s.c, s.kh, s.kw], channels)?;
        let w_rows = w_rows.reshape(&[s.o, s.kh * s.kw * channels])?;
        return conv_matmul_into(gpu, (&w_rows, &x_nhwc), &implicit, (bias, act), out);
    }
    let folded = gpu.empty(&[s.o, s.batch * s.oh * s.ow])?;
    let rows = im2col_pixel_major(gpu, x, &s, spec)?;
    let spec_t = MatmulSpec {
        trans_b: true,
        ..MatmulSpec::default()
    };
    matmul_into(gpu, &weight_matrix(w, &s)?, &rows, None, &folded, &spec_t)?;
    fold_into(gpu, &folded, &s, Layout::Unfold, out)?;
    bias_act(gpu, out, &s, (bias, w), act)
}

pub fn conv2d(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
) -> Result<Tensor> {
    let out = gpu.empty(&conv2d_shape(x.shape(), w.shape(), spec)?.output())?;
    conv2d_into(gpu, x, w, bias, spec, Activation::None, &out)?;
    Ok(out)
}

/// The input gradient of conv `s` in `out` (also conv_transpose2d): four
/// 2×2 convs where `sub_pixel_phase` allows, the direct kernel where it
/// applies, else cols = wᵀ·dy', dy' the [O, B·OH·OW]
/// matrix of dy (held transposed, pixel major, so K = O is contiguous),
/// then col2im.
fn input_grad_into(
    gpu: &Gpu,
    dy: &SharedOperand,
    w: &Tensor,
    s: &ConvShape,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    if let Some(phase) = sub_pixel_phase(gpu, s, spec) {
        return sub_pixel_into(gpu, dy, w, (s, &phase), (None, Activation::None), out);
    }
    if direct_input_grad(gpu, dy.tensor(), w, s, spec, out)? {
        return Ok(());
    }
    let dy_rows = dy.nhwc(gpu)?;
    let cols = gpu.empty(&[s.c * s.kh * s.kw, s.batch * s.oh * s.ow])?;
    let spec_t = MatmulSpec {
        trans_a: true,
        trans_b: true,
        ..MatmulSpec::default()
    };
    matmul_into(gpu, &weight_matrix(w, s)?, &dy_rows, None, &cols, &spec_t)?;
    col2im_into(gpu, &cols, s, spec, out)
}

/// dx of y = conv2d(x, w) from dy, into `out` shaped like x [B, C, H, W]
/// (the output shape alone does not determine H, W when stride > 1).
pub fn conv2d_backward_input_into(
    gpu: &Gpu,
    dy: &Tensor,
    w: &Tensor,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    conv2d_backward_input_shared_into(gpu, &SharedOperand::new(dy), w, spec, out)
}

/// As `conv2d_backward_input_into`, dy's NHWC copy shared.
pub fn conv2d_backward_input_shared_into(
    gpu: &Gpu,
    dy: &SharedOperand,
    w: &Tensor,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    let s = conv2d_shape(out.shape(), w.shape(), spec)?;
    expect_shape(
        "conv2d_backward_input",
        "output gradient",
        &s.output(),
        dy.tensor().shape(),
    )?;
    input_grad_into(gpu, dy, w, &s, spec, out)
}

/// dw [O, C, KH, KW] of y = conv2d(x, w) from x and dy: fold(dy)·colsᵀ.
pub fn conv2d_backward_weight_into(
    gpu: &Gpu,
    x: &Tensor,
    dy: &Tensor,
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    let (x, dy) = (SharedOperand::new(x), SharedOperand::new(dy));
    conv2d_backward_weight_shared_into(gpu, (&x, &dy), spec, out)
}

/// As `conv2d_backward_weight_into`, x's and dy's NHWC copies shared.
pub fn conv2d_backward_weight_shared_into(
    gpu: &Gpu,
    (x_operand, dy_operand): (&SharedOperand, &SharedOperand),
    spec: Conv2dSpec,
    out: &Tensor,
) -> Result<()> {
    let (x, dy) = (x_operand.tensor(), dy_operand.tensor());
    let s = conv2d_shape(x.shape(), out.shape(), spec)?;
    expect_shape(
        "conv2d_backward_weight",
        "output gradient",
        &s.output(),
        dy.shape(),
    )?;
    if takes_direct_3x3(&s, spec) {
        // Per-sample sums without im2col (see conv.wgsl), then over the batch.
        let partial = gpu.empty(&[s.batch, s.o * s.c * 9])?;
        let p = params(&s, spec, false, Activation::None)?;
        let kernel = Kernel::new(Shader::Conv, "conv2d_direct3_weight_partial");
        let bufs = [(5, x), (7, dy), (2, &partial)];
        launch_kernel(gpu, &kernel, &p, s.batch * s.o * s.c, &bufs);
        return sum_axis_into(gpu, &partial, 0, 1.0, &out.reshape(&[s.o * s.c * 9])?);
    }
    let implicit = ImplicitConv::of(&s, spec);
    if implicit.weight_grad_fits(gpu) {
        // The lavapipe kernel reads the lowered matrix straight from x held
        // NHWC (A_CONV in shaders/matmul_lanes8.wgsl) against dy held NHWC,
        // so dw comes transposed, [KH, KW, C, O], and is permuted back:
        // to [O, KH·KW, C], then channels first.
        let (x_nhwc, dy_nhwc) = (x_operand.nhwc(gpu)?, dy_operand.nhwc(gpu)?);
        let taps = s.kh * s.kw * s.c;
        let dw_t = gpu.empty(&[taps, s.o])?;
        conv_weight_grad_matmul_into(gpu, (&x_nhwc, &dy_nhwc), &implicit, &dw_t)?;
        let dw_rows = pixel_major(gpu, &dw_t, [1, taps, s.o, 1])?;
        let rows = ConvShape {
            batch: s.o,
            o: s.c,
            oh: s.kh,
            ow: s.kw,
            ..s
        };
        return fold_into(gpu, &dw_rows, &rows, Layout::ChannelsFirst, out);
    }
    let cols = im2col(gpu, x, &s, spec)?;
    let spec_t = MatmulSpec {
        trans_b: true,
        ..MatmulSpec::default()
    };
    let dw = out.reshape(&[s.o, s.c * s.kh * s.kw])?;
    matmul_into(gpu, &fold(gpu, dy, &s)?, &cols, None, &dw, &spec_t)
}

/// Whether `conv2d_backward_weight_into` on `gpu` reads the im2col matrix
/// of `s` straight from x (the lavapipe kernel's A_CONV).
pub fn weight_grad_takes_implicit_im2col(gpu: &Gpu, s: &ConvShape, spec: Conv2dSpec) -> bool {
    !takes_direct_3x3(s, spec) && ImplicitConv::of(s, spec).weight_grad_fits(gpu)
}

/// act(conv_transpose2d(x, w) + bias) into `out`; w is [C_in, C_out, KH, KW].
pub fn conv_transpose2d_into(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
    act: Activation,
    out: &Tensor,
) -> Result<()> {
    conv_transpose2d_shared_into(gpu, &SharedOperand::new(x), w, bias, spec, act, out)
}

/// As `conv_transpose2d_into`, x's NHWC copy shared.
pub fn conv_transpose2d_shared_into(
    gpu: &Gpu,
    x: &SharedOperand,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
    act: Activation,
    out: &Tensor,
) -> Result<()> {
    let s = conv_transpose2d_shape(x.tensor().shape(), w.shape(), spec)?;
    expect_shape("conv_transpose2d", "output", &s.input(), out.shape())?;
    check_bias("conv_transpose2d", bias, s.c)?;
    if let Some(phase) = sub_pixel_phase(gpu, &s, spec) {
        return sub_pixel_into(gpu, x, w, (&s, &phase), (bias, act), out);
    }
    input_grad_into(gpu, x, w, &s, spec, out)?;
    bias_act(gpu, out, &s, (bias, w), act)
}

/// The 2×2 conv each output phase of the transposed conv `s` (x [B, s.o,
/// s.oh, s.ow], w [s.o, s.c, 4, 4]) comes down to, as phase (0, 0),
/// where it runs that way: kernel 4, stride 2, padding 1, an
/// output of exactly twice the input (a conv's input gradient of odd size
/// has a row or column no phase covers), and the phases take the implicit
/// im2col (see conv.wgsl).
fn sub_pixel_phase(gpu: &Gpu, s: &ConvShape, spec: Conv2dSpec) -> Option<ImplicitConv> {
    let dcgan = s.kh == 4 && s.kw == 4 && spec.stride == 2 && spec.padding == 1;
    let doubles = s.h == 2 * s.oh && s.w == 2 * s.ow;
    let phase = ImplicitConv {
        shape: ConvShape {
            batch: s.batch,
            c: s.o,
            h: s.oh,
            w: s.ow,
            o: s.c,
            oh: s.oh,
            ow: s.ow,
            kh: 2,
            kw: 2,
        },
        stride: 1,
        pad: [1, 1],
        step: 2,
    };
    (dcgan && doubles && phase.fits(gpu)).then_some(phase)
}

/// Whether `conv_transpose2d_into` on `gpu` runs as four 2×2 convs reading
/// x straight from a texture instead of a matmul and col2im.
pub fn transpose_takes_sub_pixel(gpu: &Gpu, x: &[usize], w: &[usize], spec: Conv2dSpec) -> bool {
    conv_transpose2d_shape(x, w, spec).is_ok_and(|s| sub_pixel_phase(gpu, &s, spec).is_some())
}

/// Whether `conv2d_backward_input_into` on `gpu` makes the input gradient
/// of conv `s` as the same four 2×2 convs of dy (it is the transposed conv
/// of dy by w).
pub fn input_grad_takes_sub_pixel(gpu: &Gpu, s: &ConvShape, spec: Conv2dSpec) -> bool {
    sub_pixel_phase(gpu, s, spec).is_some()
}

/// act(conv_transpose2d(x, w) + bias) into `out` as four 2×2 convs of x,
/// one per output phase, in one dispatch that stores each phase's pixels
/// of `out` (see conv.wgsl; a second, elementwise, for tanh or sigmoid).
fn sub_pixel_into(
    gpu: &Gpu,
    x: &SharedOperand,
    w: &Tensor,
    (s, phase): (&ConvShape, &ImplicitConv),
    (bias, act): (Option<&Tensor>, Activation),
    out: &Tensor,
) -> Result<()> {
    let (c_in, c_out) = (s.o, s.c);
    let x_nhwc = x.nhwc(gpu)?;
    let weights = phase_weights(gpu, w, c_in, c_out)?;
    conv_matmul_into(gpu, (&weights, &x_nhwc), phase, (bias, act), out)
}

/// w [C_in, C_out, 4, 4] as each phase's [C_out, 2, 2, C_in] weights,
/// phases (0, 0), (0, 1), (1, 0), (1, 1) one after another.
fn phase_weights(gpu: &Gpu, w: &Tensor, c_in: usize, c_out: usize) -> Result<Tensor> {
    let out = gpu.empty(&[4, c_out, 4 * c_in])?;
    phase_weights_into(gpu, w, &out)?;
    Ok(out)
}

/// As `phase_weights`, into `out` [4, C_out, 4·C_in].
pub fn phase_weights_into(gpu: &Gpu, w: &Tensor, out: &Tensor) -> Result<()> {
    let &[c_in, c_out, kh, kw] = w.shape() else {
        return Err(Error::Invalid {
            op: "phase_weights",
            reason: format!("weights must be [C_in, C_out, 4, 4], found {:?}", w.shape()),
        });
    };
    expect_shape(
        "phase_weights",
        "weights",
        &[c_in, c_out, 4, 4],
        &[c_in, c_out, kh, kw],
    )?;
    expect_shape(
        "phase_weights",
        "output",
        &[4, c_out, 4 * c_in],
        out.shape(),
    )?;
    let shape = ConvShape {
        batch: 1,
        c: c_in,
        h: 4,
        w: 4,
        o: c_out,
        oh: 4,
        ow: 4,
        kh: 4,
        kw: 4,
    };
    let p = params(
        &shape,
        Conv2dSpec {
            stride: 2,
            padding: 1,
        },
        false,
        Activation::None,
    )?;
    // x: C_in, in quads of channels where it can (workgroups of 16 quads,
    // else of 64 channels: the entries' sizes), y: C_out, z: the scalar
    // entry's 16 (phase, tap) pairs.
    let quads = c_in.is_multiple_of(4);
    let (entry, grid) = if quads {
        ("phase_weights_vec4", [(c_in / 4).div_ceil(16), c_out, 1])
    } else {
        ("phase_weights_forward", [c_in.div_ceil(64), c_out, 16])
    };
    let max = gpu.limits().max_compute_workgroups_per_dimension as usize;
    if grid.iter().any(|&g| g > max) {
        return Err(Error::Invalid {
            op: "phase_weights",
            reason: format!("grid {grid:?} exceeds the adapter's {max} workgroups per dimension"),
        });
    }
    let bufs = if quads {
        [(5, w), (4, out)]
    } else {
        [(1, w), (2, out)]
    };
    gpu.dispatch(
        &Kernel::new(Shader::Conv, entry),
        &p,
        &bufs,
        grid.map(|g| g as u32),
    );
    Ok(())
}

pub fn conv_transpose2d(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: Conv2dSpec,
) -> Result<Tensor> {
    let out = gpu.empty(&conv_transpose2d_shape(x.shape(), w.shape(), spec)?.input())?;
    conv_transpose2d_into(gpu, x, w, bias, spec, Activation::None, &out)?;
    Ok(out)
}
