//! The memory-bound kernel families in GB/s: elementwise, reductions,
//! broadcasts and copies, random numbers, the optimizers, batch norm, the
//! gradient penalty's tail and the batch gather. Criterion's throughput is the bytes each kernel must read and
//! write (4 per f32, 1 per image byte), so "B/s" is effective bandwidth.
//! Sizes are those of a 1024×784 weight (W1's largest layer) and of a
//! batch of 64 MNIST images. Each iteration records, submits and waits, so
//! small kernels also show the per-dispatch cost of the adapter.
//! Matmul and convolution have their own benches (GFLOP/s).

mod common;

use common::filled;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpugan::gpu::kernels::data::{gather_images_into, upload_bytes, upload_u32};
use gpugan::gpu::kernels::elementwise::{Binary, Unary, binary_into, unary_into};
use gpugan::gpu::kernels::fill::{full, tile_rows_into};
use gpugan::gpu::kernels::matmul::Activation;
use gpugan::gpu::kernels::norm::{
    BatchStats, batch_norm_apply_into, batch_norm_grad_input_into, batch_norm_grad_params_into,
    batch_norm_stats_into,
};
use gpugan::gpu::kernels::optim::{AdamStep, RmspropStep, adam_step, rmsprop_step};
use gpugan::gpu::kernels::penalty::{penalty_backward_into, penalty_forward_into};
use gpugan::gpu::kernels::random::{RandomKey, normal_into};
use gpugan::gpu::kernels::reduce::{sum_axis_into, sum_squares_rows_into};
use gpugan::{AdapterChoice, Gpu};

const ROWS: usize = 1024;
const COLS: usize = 784;
const N: usize = ROWS * COLS;
const F32: u64 = 4;

fn bench_kernels(c: &mut Criterion) {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    let mut group = c.benchmark_group(format!(
        "kernels [{} / {:?}]",
        gpu.info().name,
        gpu.info().backend
    ));
    group.sample_size(20);
    let (x, y, out) = (
        filled(&gpu, &[ROWS, COLS]),
        filled(&gpu, &[ROWS, COLS]),
        gpu.empty(&[ROWS, COLS]).unwrap(),
    );
    let mut run = |name: &str, bytes: u64, f: &dyn Fn()| {
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(name, |b| {
            b.iter(|| {
                f();
                gpu.sync().unwrap();
            })
        });
    };

    run("binary_add", 3 * F32 * N as u64, &|| {
        binary_into(&gpu, Binary::Add, &x, &y, &out).unwrap()
    });
    run("unary_tanh", 2 * F32 * N as u64, &|| {
        unary_into(&gpu, Unary::Tanh, &x, &out).unwrap()
    });
    let col_sums = gpu.empty(&[COLS]).unwrap();
    run("sum_axis0", F32 * (N + COLS) as u64, &|| {
        sum_axis_into(&gpu, &x, 0, 1.0, &col_sums).unwrap()
    });
    let row_norms = gpu.empty(&[ROWS]).unwrap();
    run("sum_squares_rows", F32 * (N + ROWS) as u64, &|| {
        sum_squares_rows_into(&gpu, &x, &row_norms).unwrap()
    });
    let bias = filled(&gpu, &[COLS]);
    run("tile_rows", F32 * (N + COLS) as u64, &|| {
        tile_rows_into(&gpu, &bias, &out).unwrap()
    });
    run("random_normal", F32 * N as u64, &|| {
        normal_into(&gpu, RandomKey { seed: 1, stream: 2 }, 0.0, 1.0, &out).unwrap()
    });

    let (theta, grad, m, v, extra) = (
        filled(&gpu, &[N]),
        filled(&gpu, &[N]),
        filled(&gpu, &[N]).reshape(&[N]).unwrap(),
        gpu.upload(&vec![0.01; N], &[N]).unwrap(),
        gpu.upload(&vec![0.0; N], &[N]).unwrap(),
    );
    let adam = AdamStep {
        lr: 1e-4,
        beta1: 0.5,
        beta2: 0.9,
        eps: 1e-8,
        weight_decay: 0.0,
        step: 10,
        clip: None,
    };
    // Adam reads θ, g, m, v and writes θ, m, v.
    run("adam_step", 7 * F32 * N as u64, &|| {
        adam_step(&gpu, &adam, &theta, &grad, &m, &v).unwrap()
    });
    let rmsprop = RmspropStep {
        lr: 5e-5,
        alpha: 0.99,
        eps: 1e-8,
        weight_decay: 0.0,
        momentum: 0.0,
        centered: false,
        clip: None,
    };
    // Plain RMSprop reads θ, g, square_avg and writes θ, square_avg.
    run("rmsprop_step", 5 * F32 * N as u64, &|| {
        rmsprop_step(&gpu, &rmsprop, &theta, &grad, &v, &extra, &extra).unwrap()
    });
    // WGAN's critic update: the same, with the weight clipping fused in.
    let clipped = RmspropStep {
        clip: Some(0.01),
        ..rmsprop
    };
    run("rmsprop_step clipped", 5 * F32 * N as u64, &|| {
        rmsprop_step(&gpu, &clipped, &theta, &grad, &v, &extra, &extra).unwrap()
    });

    // Batch norm over a DCGAN-28 generator activation: [64, 64, 14, 14].
    let bn_shape = [64, 64, 14, 14];
    let bn_n: usize = bn_shape.iter().product();
    let (bx, bdy, bout) = (
        filled(&gpu, &bn_shape),
        filled(&gpu, &bn_shape),
        gpu.empty(&bn_shape).unwrap(),
    );
    let ones = || full(&gpu, &[64], 1.0).unwrap();
    let (rm, rv, gamma, beta) = (ones(), ones(), ones(), ones());
    let stats = BatchStats {
        mean: gpu.empty(&[64]).unwrap(),
        invstd: gpu.empty(&[64]).unwrap(),
    };
    let (dbeta, dgamma) = (gpu.empty(&[64]).unwrap(), gpu.empty(&[64]).unwrap());
    let bytes = F32 * bn_n as u64;
    // The statistics read x twice (mean, then the centred variance).
    run("batch_norm_stats", 2 * bytes, &|| {
        batch_norm_stats_into(&gpu, &bx, (&rm, &rv), 0.1, 1e-5, &stats).unwrap()
    });
    run("batch_norm_apply", 2 * bytes, &|| {
        batch_norm_apply_into(&gpu, &bx, &stats, (&gamma, &beta), Activation::None, &bout).unwrap()
    });
    run("batch_norm_grad_params", 2 * bytes, &|| {
        batch_norm_grad_params_into(&gpu, &bx, &stats, &bdy, &dbeta, &dgamma).unwrap()
    });
    run("batch_norm_grad_input", 3 * bytes, &|| {
        let sums = (&dbeta, &dgamma);
        batch_norm_grad_input_into(&gpu, &bx, &stats, &gamma, &bdy, sums, &bout).unwrap()
    });

    // The penalty's tail on W3's gradients: 64 rows of 784.
    let (g, sq, up, scalar) = (
        filled(&gpu, &[64, 784]),
        full(&gpu, &[64], 2.0).unwrap(),
        full(&gpu, &[1], 1.0).unwrap(),
        gpu.empty(&[1]).unwrap(),
    );
    let dg = gpu.empty(&[64, 784]).unwrap();
    run("penalty_forward", F32 * 64, &|| {
        penalty_forward_into(&gpu, &g, &sq, 10.0, 1e-12, &scalar).unwrap()
    });
    run("penalty_backward", 2 * F32 * 64 * 784, &|| {
        penalty_backward_into(&gpu, &g, &sq, &up, 10.0, 1e-12, &dg).unwrap()
    });

    // A batch of 64 28×28 images gathered from 10,000 stored as bytes.
    let (count, image_len, batch) = (10_000, 784, 64);
    let bytes: Vec<u8> = (0..count * image_len).map(|i| (i % 251) as u8).collect();
    let stored = upload_bytes(&gpu, &bytes).unwrap();
    let order: Vec<u32> = (0..count as u32)
        .map(|i| (i * 7919) % count as u32)
        .collect();
    let order = upload_u32(&gpu, &order).unwrap();
    let images = gpu.empty(&[batch, image_len]).unwrap();
    run(
        "gather_images",
        (batch * image_len) as u64 * (1 + F32),
        &|| gather_images_into(&gpu, &stored, &order, 0, image_len, &images).unwrap(),
    );
    group.finish();
}

criterion_group!(benches, bench_kernels);
criterion_main!(benches);
