//! conv2d forward, input gradient, weight gradient and conv_transpose2d
//! against their twins: DCGAN-28 shapes and ragged ones (odd sizes, strides
//! 1 to 3, padding 0–2, batch 1), NaN-poisoned outputs.

use gpugan::gpu::kernels::conv::{
    Conv2dSpec, ConvShape, SharedOperand, conv_transpose2d_into, conv_transpose2d_shape,
    conv2d_backward_input_into, conv2d_backward_input_shared_into, conv2d_backward_weight_into,
    conv2d_backward_weight_shared_into, conv2d_into, conv2d_shape, conv2d_shared_into,
    input_grad_takes_sub_pixel, phase_weights_into, takes_direct_3x3, takes_implicit_im2col,
    transpose_takes_sub_pixel, weight_grad_takes_implicit_im2col,
};
use gpugan::gpu::kernels::matmul::Activation;
use gpugan::{AdapterChoice, Gpu};

use crate::common::{Rng, assert_close, gpu, poisoned, read, upload};
use crate::reference::conv as twin;
use crate::reference::matmul::activate;

/// Sums of up to C·KH·KW or B·OH·OW f32 products: as for matmul.
const CONV_TOL: f64 = 1e-5;

/// (batch, channels, height, width, out channels, kernel, stride, padding)
type Case = (usize, usize, usize, usize, usize, usize, usize, usize);

const CASES: [Case; 29] = [
    (2, 1, 28, 28, 64, 4, 2, 1),   // DCGAN-28 critic conv 1
    (2, 64, 14, 14, 128, 4, 2, 1), // DCGAN-28 critic conv 2
    (1, 3, 17, 13, 5, 3, 1, 0),
    (3, 2, 9, 11, 7, 3, 2, 2),
    (1, 1, 5, 5, 1, 5, 1, 2),
    (2, 5, 8, 8, 3, 1, 1, 0),
    (1, 4, 7, 6, 65, 2, 2, 1),
    (1, 33, 3, 3, 2, 3, 1, 1),
    (2, 3, 6, 9, 4, 4, 3, 1),
    // 7×7 outputs, batch 4: im2col's vec4 entries cross samples.
    (4, 2, 14, 14, 3, 4, 2, 1),
    // C·KH·KW = 36: the pixel-major im2col's vec4 entries cross channels.
    (2, 4, 7, 5, 6, 3, 1, 1),
    // Widths that are multiples of 4 (col2im's vec4 pixels) at strides 2
    // and 3 with taps of every phase, some reaching past the image.
    (2, 3, 12, 8, 5, 3, 2, 2),
    (1, 2, 8, 12, 3, 4, 3, 1),
    // Stride 1, few output channels, rows of multiples of 4: the direct
    // forward (a generator's last conv; a 5-wide window without padding;
    // a 7-wide one crossing three vec4s of x with padding 1).
    (2, 6, 12, 8, 1, 3, 1, 1),
    (1, 3, 8, 12, 2, 5, 1, 0),
    (1, 2, 10, 12, 3, 7, 1, 1),
    // Planes of multiples of 4 with other widths: col2im's vec4 quads span
    // two image rows (stride 2; stride 3 with padding 2).
    (1, 2, 6, 10, 3, 3, 2, 1),
    (2, 3, 4, 9, 2, 3, 3, 2),
    // Channels and kernel widths of powers of two, outputs of multiples of
    // 4: on lavapipe the matmul reads the im2col matrix straight from x
    // (IMPLICIT): the critic's conv 2 at batch 4, windows past every edge
    // (odd sizes, stride 3 with padding 2), 1×1 and 2×2 kernels.
    (4, 64, 14, 14, 128, 4, 2, 1),
    (2, 8, 9, 7, 12, 4, 2, 1),
    (2, 16, 11, 10, 8, 4, 3, 2),
    (2, 4, 6, 6, 12, 1, 1, 0),
    (4, 4, 6, 6, 8, 2, 1, 1),
    // Kernel 4, stride 2, padding 1 with out channels of a power of two:
    // on lavapipe the input gradient is four 2×2 convs of dy (SUB_PIXEL,
    // with case 18), here with ragged channels and a 5×3 output; then an
    // input of odd height, whose last row no phase covers (it takes the
    // forward's implicit im2col, not the sub-pixel gradient).
    (4, 12, 10, 6, 8, 4, 2, 1),
    (4, 8, 11, 10, 16, 4, 2, 1),
    // 3×3 with padding 1 at stride 1, few outputs: the direct kernel that
    // makes four rows per invocation (DIRECT_3X3, with case 13), here with
    // 7 rows, so its last band of rows is partly past the image.
    (2, 5, 7, 8, 3, 3, 1, 1),
    // As case 24 with an odd width instead: its last column no phase covers.
    (4, 8, 10, 11, 16, 4, 2, 1),
    // Fewer than four input channels: on lavapipe x and w are held padded
    // with zero channels to four and the forward reads x as texels (as
    // case 0, the critic's conv 1): three channels with windows past every
    // edge of an odd image, two with a 2×2 kernel at stride 1.
    (3, 3, 9, 7, 8, 4, 2, 2),
    (2, 2, 5, 7, 12, 2, 1, 0),
];

/// The cases of CASES that read the im2col matrix from x on lavapipe in
/// the forward (0, 27 and 28 with x padded to four channels), and in the
/// weight gradient (case 21's has 4 columns, which the split-K kernel
/// takes).
const IMPLICIT: [usize; 10] = [0, 18, 19, 20, 21, 22, 24, 26, 27, 28];
const IMPLICIT_GRAD: [usize; 6] = [18, 19, 20, 22, 24, 26];
/// The cases that take the four-row direct kernel (forward and input
/// gradient), on every adapter.
const DIRECT_3X3: [usize; 2] = [13, 25];
/// The cases whose input gradient runs as four 2×2 convs on lavapipe.
const SUB_PIXEL: [usize; 2] = [18, 23];

fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

fn shape_of(
    case: (usize, usize, usize, usize, usize, usize, usize, usize),
) -> (ConvShape, Conv2dSpec) {
    let (b, c, h, w, o, k, stride, padding) = case;
    let spec = Conv2dSpec { stride, padding };
    (
        conv2d_shape(&[b, c, h, w], &[o, c, k, k], spec).unwrap(),
        spec,
    )
}

#[test]
fn lavapipe_reads_the_im2col_matrix_straight_from_x() {
    // Otherwise the tests below would not check those paths.
    let g = gpu();
    for (i, &case) in CASES.iter().enumerate() {
        let (s, spec) = shape_of(case);
        assert_eq!(
            takes_implicit_im2col(g, &s, spec),
            g.lanes8() && IMPLICIT.contains(&i),
            "{case:?}"
        );
        assert_eq!(
            weight_grad_takes_implicit_im2col(g, &s, spec),
            g.lanes8() && IMPLICIT_GRAD.contains(&i),
            "{case:?}"
        );
        assert_eq!(
            takes_direct_3x3(&s, spec),
            DIRECT_3X3.contains(&i),
            "{case:?}"
        );
        assert_eq!(
            input_grad_takes_sub_pixel(g, &s, spec),
            g.lanes8() && SUB_PIXEL.contains(&i),
            "{case:?}"
        );
    }
    // (Unless GPUGAN_MATMUL forces another family.)
    let info = g.info();
    let lavapipe = g.is_cpu() && info.subgroup_min_size == 8 && info.subgroup_max_size == 8;
    if lavapipe && g.matmul_kernels() == gpugan::gpu::MatmulKernels::Adapter {
        assert!(g.lanes8(), "{} should run matmul_lanes8", info.name);
    }
}

#[test]
fn conv2d_forward_with_bias_and_activation() {
    let mut rng = Rng::new(110);
    for case in CASES {
        let (s, spec) = shape_of(case);
        let x = rng.vec(s.input().iter().product());
        let w = rng.vec(s.weight().iter().product());
        let bias = rng.vec(s.o);
        // With a bias, and an activation without one (a generator's last
        // conv: tanh, no bias binding to read).
        for (act, with_bias) in [
            (Activation::None, true),
            (Activation::LeakyRelu(0.2), true),
            (Activation::Tanh, false),
        ] {
            let out = poisoned(&s.output());
            let (xt, wt, bt) = (
                upload(&x, &s.input()),
                upload(&w, &s.weight()),
                upload(&bias, &[s.o]),
            );
            let b = with_bias.then_some(&bt);
            conv2d_into(gpu(), &xt, &wt, b, spec, act, &out).unwrap();
            let want: Vec<f64> = twin::conv2d(
                &to_f64(&x),
                &to_f64(&w),
                with_bias.then(|| to_f64(&bias)).as_deref(),
                &s,
                spec.stride,
                spec.padding,
            )
            .into_iter()
            .map(|v| activate(v, act))
            .collect();
            assert_close(
                &format!("conv2d {case:?} {act:?}"),
                &read(&out),
                &want,
                CONV_TOL,
            );
        }
    }
}

#[test]
fn conv2d_input_and_weight_gradients() {
    let mut rng = Rng::new(111);
    for case in CASES {
        let (s, spec) = shape_of(case);
        let x = rng.vec(s.input().iter().product());
        let w = rng.vec(s.weight().iter().product());
        let dy = rng.vec(s.output().iter().product());

        let dx = poisoned(&s.input());
        conv2d_backward_input_into(
            gpu(),
            &upload(&dy, &s.output()),
            &upload(&w, &s.weight()),
            spec,
            &dx,
        )
        .unwrap();
        let want = twin::conv2d_backward_input(
            &to_f64(&dy),
            &to_f64(&w),
            None,
            &s,
            spec.stride,
            spec.padding,
        );
        assert_close(
            &format!("conv2d_backward_input {case:?}"),
            &read(&dx),
            &want,
            CONV_TOL,
        );

        let dw = poisoned(&s.weight());
        conv2d_backward_weight_into(
            gpu(),
            &upload(&x, &s.input()),
            &upload(&dy, &s.output()),
            spec,
            &dw,
        )
        .unwrap();
        let want =
            twin::conv2d_backward_weight(&to_f64(&x), &to_f64(&dy), &s, spec.stride, spec.padding);
        assert_close(
            &format!("conv2d_backward_weight {case:?}"),
            &read(&dw),
            &want,
            CONV_TOL,
        );
    }
}

#[test]
fn conv_transpose2d_forward() {
    let mut rng = Rng::new(112);
    // (batch, in channels, height, width, out channels, kernel, stride, padding)
    let cases = [
        (2, 256, 7, 7, 128, 4, 2, 1), // DCGAN-28 generator
        // This case and the next three: kernel 4, stride 2, padding 1 with
        // C_in a power of two, C_out a multiple of 4 and B·H·W of 4, on
        // lavapipe four 2×2 convs (the generator's second layer at batch
        // 2, its first at batch 4, a ragged image, the smallest channels).
        (2, 128, 14, 14, 64, 4, 2, 1),
        (4, 256, 7, 7, 128, 4, 2, 1),
        (4, 8, 5, 3, 12, 4, 2, 1),
        (1, 4, 4, 2, 8, 4, 2, 1),
        (1, 3, 5, 4, 2, 3, 1, 0),
        (3, 2, 4, 3, 5, 3, 2, 1),
        (1, 1, 1, 1, 7, 4, 1, 0),
        (2, 5, 3, 6, 3, 5, 3, 2),
    ];
    for (i, (b, cin, h, w, cout, k, stride, padding)) in cases.into_iter().enumerate() {
        let spec = Conv2dSpec { stride, padding };
        let (x_shape, w_shape) = ([b, cin, h, w], [cin, cout, k, k]);
        // Otherwise this test would not check the sub-pixel path.
        assert_eq!(
            transpose_takes_sub_pixel(gpu(), &x_shape, &w_shape, spec),
            gpu().lanes8() && (1..5).contains(&i),
            "{x_shape:?} {w_shape:?}"
        );
        let s = conv_transpose2d_shape(&x_shape, &w_shape, spec).unwrap();
        let x = rng.vec(x_shape.iter().product());
        let wv = rng.vec(w_shape.iter().product());
        let bias = rng.vec(cout);
        let out = poisoned(&s.input());
        let (xt, wt, bt) = (
            upload(&x, &x_shape),
            upload(&wv, &w_shape),
            upload(&bias, &[cout]),
        );
        conv_transpose2d_into(gpu(), &xt, &wt, Some(&bt), spec, Activation::Relu, &out).unwrap();
        let want: Vec<f64> = twin::conv2d_backward_input(
            &to_f64(&x),
            &to_f64(&wv),
            Some(&to_f64(&bias)),
            &s,
            stride,
            padding,
        )
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
        assert_close(
            &format!("conv_transpose2d {x_shape:?} {w_shape:?} s{stride} p{padding}"),
            &read(&out),
            &want,
            CONV_TOL,
        );
    }
}

/// The critic's conv 2 with x and dy each held as one `SharedOperand`
/// across its forward, input gradient and weight gradient: the same values
/// to the bit as with fresh operands, and on lavapipe one permute fewer for
/// x (forward, then weight gradient) and one fewer for dy (input, then
/// weight gradient). Its own device, so no other test's dispatches count.
#[test]
fn shared_operands_permute_once_and_change_no_value() {
    let gpu = &Gpu::new(&AdapterChoice::default()).unwrap();
    // Case 18 of CASES: the NHWC paths on lavapipe.
    let (b, c, h, o) = (4, 64, 14, 128);
    let spec = Conv2dSpec {
        stride: 2,
        padding: 1,
    };
    let mut rng = Rng::new(117);
    let put = |v: &[f32], shape: &[usize]| gpu.upload(v, shape).unwrap();
    let x = put(&rng.vec(b * c * h * h), &[b, c, h, h]);
    let w = put(&rng.vec(o * c * 16), &[o, c, 4, 4]);
    let s = conv2d_shape(x.shape(), w.shape(), spec).unwrap();
    let dy = put(&rng.vec(b * o * s.oh * s.ow), &s.output());
    let empty = |shape: &[usize]| gpu.empty(shape).unwrap();
    let (y0, dx0, dw0) = (empty(&s.output()), empty(x.shape()), empty(w.shape()));
    let (y1, dx1, dw1) = (empty(&s.output()), empty(x.shape()), empty(w.shape()));
    let count = || gpu.recorder_stats().dispatches;
    let none = Activation::None;

    let start = count();
    conv2d_into(gpu, &x, &w, None, spec, none, &y0).unwrap();
    conv2d_backward_input_into(gpu, &dy, &w, spec, &dx0).unwrap();
    conv2d_backward_weight_into(gpu, &x, &dy, spec, &dw0).unwrap();
    let fresh = count() - start;

    let (xo, dyo) = (SharedOperand::new(&x), SharedOperand::new(&dy));
    let start = count();
    conv2d_shared_into(gpu, &xo, &w, None, spec, none, &y1).unwrap();
    conv2d_backward_input_shared_into(gpu, &dyo, &w, spec, &dx1).unwrap();
    conv2d_backward_weight_shared_into(gpu, (&xo, &dyo), spec, &dw1).unwrap();
    let shared = count() - start;

    for (what, a, b) in [("y", &y0, &y1), ("dx", &dx0, &dx1), ("dw", &dw0, &dw1)] {
        let (a, b) = (gpu.read(a).unwrap(), gpu.read(b).unwrap());
        assert!(
            a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()),
            "{what} differs with shared operands"
        );
    }
    let nhwc_paths = takes_implicit_im2col(gpu, &s, spec)
        && input_grad_takes_sub_pixel(gpu, &s, spec)
        && weight_grad_takes_implicit_im2col(gpu, &s, spec);
    assert_eq!(nhwc_paths, gpu.lanes8());
    let saved = if nhwc_paths { 2 } else { 0 };
    assert_eq!(
        shared + saved,
        fresh,
        "dispatches: {fresh} fresh, {shared} shared"
    );
}

#[test]
fn phase_weights_of_a_transposed_conv() {
    let mut rng = Rng::new(113);
    for (c_in, c_out) in [(3, 5), (1, 2), (16, 8), (72, 3), (130, 3)] {
        let w = rng.vec(c_in * c_out * 16);
        let out = poisoned(&[4, c_out, 4 * c_in]);
        phase_weights_into(gpu(), &upload(&w, &[c_in, c_out, 4, 4]), &out).unwrap();
        assert_close(
            &format!("phase weights {c_in}×{c_out}"),
            &read(&out),
            &twin::phase_weights(&to_f64(&w), c_in, c_out),
            0.0,
        );
    }
}

#[test]
fn conv_shape_errors_name_the_shapes() {
    let spec = Conv2dSpec {
        stride: 1,
        padding: 0,
    };
    let msg = conv2d_shape(&[1, 3, 8, 8], &[4, 2, 3, 3], spec)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("[1, 3, 8, 8]") && msg.contains("[4, 2, 3, 3]"),
        "{msg}"
    );
    let msg = conv2d_shape(&[1, 3, 2, 8], &[4, 3, 3, 3], spec)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("kernel 3"), "{msg}");
    let msg = conv2d_shape(&[3, 8, 8], &[4, 3, 3, 3], spec)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("4-D") && msg.contains("[3, 8, 8]"), "{msg}");
    let zero_stride = Conv2dSpec {
        stride: 0,
        padding: 0,
    };
    assert!(conv2d_shape(&[1, 3, 8, 8], &[4, 3, 3, 3], zero_stride).is_err());
}
