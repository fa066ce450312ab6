//! Convolution kernels at the DCGAN-28 shapes (batch 64, widths 64), in
//! GFLOP/s: criterion's throughput is set to the FLOP count, so "elem/s"
//! reads as FLOP/s. Each iteration records, submits and waits.

mod common;

use common::filled;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpugan::gpu::kernels::conv::{
    Conv2dSpec, conv_transpose2d_into, conv_transpose2d_shape, conv2d_backward_input_into,
    conv2d_backward_weight_into, conv2d_into, conv2d_shape,
};
use gpugan::gpu::kernels::matmul::Activation;
use gpugan::{AdapterChoice, Gpu};

const SPEC: Conv2dSpec = Conv2dSpec {
    stride: 2,
    padding: 1,
};

fn bench_conv(c: &mut Criterion) {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    let mut group = c.benchmark_group(format!(
        "conv [{} / {:?}]",
        gpu.info().name,
        gpu.info().backend
    ));
    group.sample_size(10);
    // Critic conv 1 of DCGAN-28: 1×28×28 → 64×14×14 (one input channel:
    // on lavapipe x is held padded to four), with its leaky ReLU.
    let c1 = conv2d_shape(&[64, 1, 28, 28], &[64, 1, 4, 4], SPEC).unwrap();
    let (c1x, c1w, c1b) = (
        filled(&gpu, &c1.input()),
        filled(&gpu, &c1.weight()),
        filled(&gpu, &[64]),
    );
    let c1y = gpu.empty(&c1.output()).unwrap();
    group.throughput(Throughput::Elements(c1.flops() as u64));
    group.bench_function("d_conv1_forward", |b| {
        let act = Activation::LeakyRelu(0.2);
        b.iter(|| {
            conv2d_into(&gpu, &c1x, &c1w, Some(&c1b), SPEC, act, &c1y).unwrap();
            gpu.sync().unwrap();
        })
    });
    // Critic conv 2 of DCGAN-28: 64×14×14 → 128×7×7.
    let s = conv2d_shape(&[64, 64, 14, 14], &[128, 64, 4, 4], SPEC).unwrap();
    let (x, w, dy) = (
        filled(&gpu, &s.input()),
        filled(&gpu, &s.weight()),
        filled(&gpu, &s.output()),
    );
    let (y, dx, dw) = (
        gpu.empty(&s.output()).unwrap(),
        gpu.empty(&s.input()).unwrap(),
        gpu.empty(&s.weight()).unwrap(),
    );
    group.throughput(Throughput::Elements(s.flops() as u64));
    group.bench_function("d_conv2_forward", |b| {
        b.iter(|| {
            conv2d_into(&gpu, &x, &w, None, SPEC, Activation::None, &y).unwrap();
            gpu.sync().unwrap();
        })
    });
    group.bench_function("d_conv2_backward_input", |b| {
        b.iter(|| {
            conv2d_backward_input_into(&gpu, &dy, &w, SPEC, &dx).unwrap();
            gpu.sync().unwrap();
        })
    });
    group.bench_function("d_conv2_backward_weight", |b| {
        b.iter(|| {
            conv2d_backward_weight_into(&gpu, &x, &dy, SPEC, &dw).unwrap();
            gpu.sync().unwrap();
        })
    });
    // Generator ConvT 256×7×7 → 128×14×14.
    let t = conv_transpose2d_shape(&[64, 256, 7, 7], &[256, 128, 4, 4], SPEC).unwrap();
    let (tx, tw, ty) = (
        filled(&gpu, &[64, 256, 7, 7]),
        filled(&gpu, &[256, 128, 4, 4]),
        gpu.empty(&t.input()).unwrap(),
    );
    group.throughput(Throughput::Elements(t.flops() as u64));
    group.bench_function("g_convt1_forward", |b| {
        b.iter(|| {
            conv_transpose2d_into(&gpu, &tx, &tw, None, SPEC, Activation::None, &ty).unwrap();
            gpu.sync().unwrap();
        })
    });
    // Generator output conv 64×28×28 → 1×28×28, 3×3 stride 1 (the direct
    // kernel: fewer than 8 output channels).
    let same = Conv2dSpec {
        stride: 1,
        padding: 1,
    };
    let o = conv2d_shape(&[64, 64, 28, 28], &[1, 64, 3, 3], same).unwrap();
    let (ox, ow, ody) = (
        filled(&gpu, &o.input()),
        filled(&gpu, &o.weight()),
        filled(&gpu, &o.output()),
    );
    let (oy, odx) = (
        gpu.empty(&o.output()).unwrap(),
        gpu.empty(&o.input()).unwrap(),
    );
    group.throughput(Throughput::Elements(o.flops() as u64));
    group.bench_function("g_out_conv_forward", |b| {
        b.iter(|| {
            conv2d_into(&gpu, &ox, &ow, None, same, Activation::None, &oy).unwrap();
            gpu.sync().unwrap();
        })
    });
    group.bench_function("g_out_conv_backward_input", |b| {
        b.iter(|| {
            conv2d_backward_input_into(&gpu, &ody, &ow, same, &odx).unwrap();
            gpu.sync().unwrap();
        })
    });
    let odw = gpu.empty(&o.weight()).unwrap();
    group.bench_function("g_out_conv_backward_weight", |b| {
        b.iter(|| {
            conv2d_backward_weight_into(&gpu, &ox, &ody, same, &odw).unwrap();
            gpu.sync().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench_conv);
criterion_main!(benches);
