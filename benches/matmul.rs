//! Matmul throughput at square sizes and at DCGAN and MLP layer shapes.
//!
//! Criterion's throughput is set to the FLOP count (2·M·N·K per matmul), so
//! its "elem/s" figure reads as FLOP/s. Each iteration records the dispatch,
//! submits and waits for the GPU, as a training step's matmuls would.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use gpugan::gpu::MatmulKernels;
use gpugan::gpu::kernels::matmul::{MatmulSpec, matmul_into, matmul_shape};
use gpugan::{AdapterChoice, Gpu};

struct Case {
    name: &'static str,
    a: Vec<usize>,
    b: Vec<usize>,
    spec: MatmulSpec,
}

fn case(name: &'static str, a: &[usize], b: &[usize], trans_a: bool, trans_b: bool) -> Case {
    Case {
        name,
        a: a.to_vec(),
        b: b.to_vec(),
        spec: MatmulSpec {
            trans_a,
            trans_b,
            ..MatmulSpec::default()
        },
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("square_256", &[256, 256], &[256, 256], false, false),
        case("square_512", &[512, 512], &[512, 512], false, false),
        case("square_1024", &[1024, 1024], &[1024, 1024], false, false),
        // DCGAN-28 at batch 64 as matmuls (im2col view of the 4×4 convs):
        // critic conv 64→128 forward: (64·7·7) × (64·16) · (64·16) × 128,
        // weight stored out×in as PyTorch does, hence B transposed.
        case(
            "dcgan_d_conv2_fwd",
            &[3136, 1024],
            &[128, 1024],
            false,
            true,
        ),
        // its weight gradient: Xᵀ·dY, (64·16) × 3136 · 3136 × 128.
        case(
            "dcgan_d_conv2_wgrad",
            &[3136, 1024],
            &[3136, 128],
            true,
            false,
        ),
        // generator stem: z 100 → 256·7·7 at batch 64 (K ragged).
        case("dcgan_g_linear_fwd", &[64, 100], &[12544, 100], false, true),
        // critic head: 6272 → 1 at batch 64 (N = 1, the scalar path).
        case("dcgan_d_linear_fwd", &[64, 6272], &[1, 6272], false, true),
        // W1's generator output layer, weight gradient dWᵀ = dYᵀ·X at batch
        // 64 (K = 64; half the rate of 1024³ on lavapipe: BENCHMARKS.md).
        case("mlp_g_out_wgrad", &[64, 784], &[64, 1024], true, false),
    ]
}

/// The cases on the adapter's own kernels, then 1024³ on each family
/// forced (`--matmul` of `gpugan`), named `square_1024 <family>`.
fn bench_matmul(c: &mut Criterion) {
    let gpu = Gpu::new(&AdapterChoice::default()).expect("a GPU adapter");
    let adapter = gpu.info();
    let mut group = c.benchmark_group(format!("matmul [{} / {:?}]", adapter.name, adapter.backend));
    group.sample_size(10);
    for case in cases() {
        bench_case(&mut group, &gpu, &case, case.name.to_string());
    }
    let square = &cases()[2];
    for family in [MatmulKernels::Registers, MatmulKernels::Workgroup] {
        gpu.set_matmul_kernels(family);
        let name = format!("{} {}", square.name, gpu.matmul_family());
        bench_case(&mut group, &gpu, square, name);
    }
    gpu.set_matmul_kernels(MatmulKernels::Adapter);
    group.finish();
}

/// One case, warmed up (pipeline compiled, buffers pooled), then timed.
fn bench_case(group: &mut BenchmarkGroup<'_, WallTime>, gpu: &Gpu, case: &Case, name: String) {
    let shape = matmul_shape(&case.a, &case.b, &case.spec).unwrap();
    let fill = |n: usize| {
        (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect::<Vec<f32>>()
    };
    let a = gpu.upload(&fill(case.a.iter().product()), &case.a).unwrap();
    let b = gpu.upload(&fill(case.b.iter().product()), &case.b).unwrap();
    let out = gpu.empty(&shape.output()).unwrap();
    matmul_into(gpu, &a, &b, None, &out, &case.spec).unwrap();
    gpu.sync().unwrap();
    group.throughput(Throughput::Elements(shape.flops() as u64));
    group.bench_function(name, |bench| {
        bench.iter(|| {
            matmul_into(gpu, &a, &b, None, &out, &case.spec).unwrap();
            gpu.sync().unwrap();
        })
    });
}

criterion_group!(benches, bench_matmul);
criterion_main!(benches);
