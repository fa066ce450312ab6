//! matmul against its twin: every transpose combination, ragged and
//! vec4-path shapes, batches with broadcasting, bias and each activation.

use std::sync::OnceLock;

use gpugan::gpu::MatmulKernels;
use gpugan::gpu::kernels::matmul::{
    Activation, MatmulSpec, matmul_entry, matmul_into, matmul_shape,
};
use gpugan::{AdapterChoice, Gpu};

use crate::common::{MATMUL_TOL, RAGGED, Rng, assert_close, gpu};
use crate::reference;

fn stored_shape(batch: Option<usize>, rows: usize, cols: usize, trans: bool) -> Vec<usize> {
    let (r, c) = if trans { (cols, rows) } else { (rows, cols) };
    batch.map_or(vec![r, c], |b| vec![b, r, c])
}

/// A device of its own forced onto one family of matmul kernels.
fn forced_gpu(cell: &'static OnceLock<Gpu>, kernels: MatmulKernels) -> &'static Gpu {
    cell.get_or_init(|| {
        let gpu = Gpu::new(&AdapterChoice::default()).unwrap();
        gpu.set_matmul_kernels(kernels);
        gpu
    })
}

/// A second device kept on the register-tile kernels: on lavapipe the
/// shared one runs the lanes8 matmul, on GPUs the workgroup tiles.
fn registers_gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    forced_gpu(&GPU, MatmulKernels::Registers)
}

/// A third on the workgroup-memory tiles, which CPU adapters do not take
/// by themselves: on lavapipe the tests run them only here.
fn workgroup_gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    forced_gpu(&GPU, MatmulKernels::Workgroup)
}

/// Every family: the adapter's own kernels, then each one forced; all
/// must match the twin.
fn devices() -> [&'static Gpu; 3] {
    [gpu(), registers_gpu(), workgroup_gpu()]
}

/// One product's operands as stored, and its spec.
struct Case {
    a_shape: Vec<usize>,
    b_shape: Vec<usize>,
    a: Vec<f32>,
    b: Vec<f32>,
    bias: Option<Vec<f32>>,
    spec: MatmulSpec,
}

#[allow(clippy::too_many_arguments)]
fn random_case(
    rng: &mut Rng,
    (batch_a, batch_b): (Option<usize>, Option<usize>),
    m: usize,
    n: usize,
    k: usize,
    bias: bool,
    spec: MatmulSpec,
) -> Case {
    let a_shape = stored_shape(batch_a, m, k, spec.trans_a);
    let b_shape = stored_shape(batch_b, k, n, spec.trans_b);
    Case {
        a: rng.vec(a_shape.iter().product()),
        b: rng.vec(b_shape.iter().product()),
        bias: bias.then(|| rng.vec(n)),
        a_shape,
        b_shape,
        spec,
    }
}

/// The product on `gpu`, into an output poisoned with NaN.
fn run_on(gpu: &Gpu, c: &Case) -> Vec<f32> {
    let out_shape = matmul_shape(&c.a_shape, &c.b_shape, &c.spec)
        .unwrap()
        .output();
    let out = gpu
        .upload(&vec![f32::NAN; out_shape.iter().product()], &out_shape)
        .unwrap();
    let bias = c.bias.as_ref().map(|v| gpu.upload(v, &[v.len()]).unwrap());
    let a = gpu.upload(&c.a, &c.a_shape).unwrap();
    let b = gpu.upload(&c.b, &c.b_shape).unwrap();
    matmul_into(gpu, &a, &b, bias.as_ref(), &out, &c.spec).unwrap();
    gpu.read(&out).unwrap()
}

fn twin(c: &Case) -> Vec<f64> {
    reference::matmul::matmul(
        &c.a,
        &c.a_shape,
        &c.b,
        &c.b_shape,
        c.bias.as_deref(),
        &c.spec,
    )
}

/// Runs one random case on `gpu` and against the twin.
#[allow(clippy::too_many_arguments)]
fn check_on(
    gpu: &Gpu,
    rng: &mut Rng,
    batches: (Option<usize>, Option<usize>),
    m: usize,
    n: usize,
    k: usize,
    bias: bool,
    spec: MatmulSpec,
) {
    let c = random_case(rng, batches, m, n, k, bias, spec);
    let name = format!(
        "matmul A{:?} B{:?} bias={bias} {spec:?} on {}",
        c.a_shape,
        c.b_shape,
        gpu.matmul_family()
    );
    assert_close(&name, &run_on(gpu, &c), &twin(&c), MATMUL_TOL);
}

fn specs() -> impl Iterator<Item = MatmulSpec> {
    [(false, false), (false, true), (true, false), (true, true)]
        .into_iter()
        .map(|(trans_a, trans_b)| MatmulSpec {
            trans_a,
            trans_b,
            activation: Activation::None,
        })
}

#[test]
fn ragged_shapes_every_transpose() {
    let mut rng = Rng::new(1);
    for gpu in devices() {
        for spec in specs() {
            for (i, &m) in RAGGED.iter().enumerate() {
                // Pair each M with two other sizes so every ragged size meets
                // every role without running all 216 combinations.
                let n = RAGGED[(i + 2) % RAGGED.len()];
                let k = RAGGED[(i + 4) % RAGGED.len()];
                check_on(gpu, &mut rng, (None, None), m, n, k, false, spec);
                check_on(gpu, &mut rng, (None, None), n, k, m, true, spec);
            }
        }
    }
}

#[test]
fn vec4_path_with_partial_tiles_every_transpose() {
    // Multiples of 4 with M and N of 8 or more take a vec4 kernel on every
    // device (smaller ones the thin kernel): 68, 132 and 260 leave partial
    // tiles of the 8×8 kernels (64×64) and of lanes8 (32 rows × 32 columns),
    // 116 rows end inside the second 16-row half of a lanes8 tile; K of 4,
    // 12, 36 and 100 end inside lanes8's 32-wide K step and the workgroup
    // tiles' 16-wide slices; on 2 cores split K's chunks of 252 end
    // inside one.
    let mut rng = Rng::new(2);
    let sizes = [
        (4, 4, 4),
        (8, 8, 4),
        (16, 32, 4),
        (64, 64, 64),
        (68, 132, 36),
        (132, 4, 68),
        (8, 260, 12),
        (20, 36, 100),
        (116, 40, 36),
    ];
    for gpu in devices() {
        for spec in specs() {
            for &(m, n, k) in &sizes {
                check_on(gpu, &mut rng, (None, None), m, n, k, false, spec);
                check_on(gpu, &mut rng, (None, None), m, n, k, true, spec);
            }
            check_on(gpu, &mut rng, (Some(3), Some(3)), 16, 8, 12, true, spec);
            check_on(gpu, &mut rng, (None, Some(2)), 20, 40, 44, false, spec);
            // Few tiles: K split over workgroup z, then the reduce pass; on
            // 2 cores K = 1000 splits into chunks of 252, which end inside
            // a 32-wide K step and start past 0.
            check_on(gpu, &mut rng, (None, None), 16, 32, 2048, true, spec);
            check_on(gpu, &mut rng, (None, None), 16, 32, 1000, true, spec);
        }
    }
}

#[test]
fn batched_and_broadcast_operands() {
    let mut rng = Rng::new(3);
    for gpu in devices() {
        for spec in specs() {
            for (m, n, k) in [(17, 3, 65), (16, 8, 12)] {
                check_on(gpu, &mut rng, (Some(3), Some(3)), m, n, k, true, spec);
                check_on(gpu, &mut rng, (None, Some(2)), m, n, k, false, spec);
                check_on(gpu, &mut rng, (Some(2), None), m, n, k, true, spec);
            }
        }
    }
}

#[test]
fn thin_and_split_k_shapes() {
    // M or N below 8 take the one-output-per-invocation kernel; outputs with
    // few tiles split K into chunks (partial sums + reduce) in the tiled
    // kernels too (on lavapipe: fewer than 4 workgroups; (17, 30, 1000)
    // splits in the scalar kernel, (64, 64, 1024) in the register-tile
    // and workgroup-tile ones, not in lanes8, whose 8 tiles are enough). Bias and an activation
    // check the reduce pass's epilogue.
    // DCGAN cases: a generator's last 3×3 conv (M = 1), weight gradients.
    let mut rng = Rng::new(6);
    let cases = [
        (1, 2500, 72),
        (7, 1, 3000),
        (8, 16, 6272),
        (33, 40, 517),
        (64, 64, 1024),
        (17, 30, 1000),
        (32, 256, 1568),
        (1, 1, 1),
    ];
    for gpu in devices() {
        for spec in specs() {
            for &(m, n, k) in &cases {
                check_on(gpu, &mut rng, (None, None), m, n, k, true, spec);
            }
        }
        let spec = MatmulSpec {
            activation: Activation::LeakyRelu(0.2),
            ..MatmulSpec::default()
        };
        check_on(gpu, &mut rng, (Some(3), None), 5, 9, 1000, true, spec);
        check_on(gpu, &mut rng, (None, Some(2)), 12, 4, 700, true, spec);
        check_on(gpu, &mut rng, (Some(2), Some(2)), 36, 20, 800, true, spec);
        check_on(gpu, &mut rng, (Some(2), None), 9, 20, 900, true, spec);
        check_on(gpu, &mut rng, (Some(2), None), 17, 9, 300, true, spec);
    }
}

#[test]
fn fused_activations() {
    let mut rng = Rng::new(4);
    let acts = [
        Activation::Relu,
        Activation::LeakyRelu(0.2),
        Activation::Tanh,
        Activation::Sigmoid,
    ];
    for gpu in devices() {
        for activation in acts {
            // The scalar kernel; one tile of the vec4 ones; one tile with K
            // split (lavapipe's kernel then leaves the activation to the
            // reduce pass, and without a split to an elementwise pass).
            for (m, n, k) in [(17, 65, 3), (64, 32, 16), (32, 32, 1024)] {
                let spec = MatmulSpec {
                    activation,
                    ..MatmulSpec::default()
                };
                check_on(gpu, &mut rng, (None, None), m, n, k, true, spec);
            }
        }
    }
}

#[test]
fn larger_square_and_dcgan_shapes() {
    let mut rng = Rng::new(5);
    // 256³, and a DCGAN-28 critic layer as a matmul: (batch·14·14) × 64·4·4 → 128.
    let spec = MatmulSpec {
        trans_b: true,
        activation: Activation::LeakyRelu(0.2),
        ..MatmulSpec::default()
    };
    for gpu in devices() {
        let square = MatmulSpec::default();
        check_on(gpu, &mut rng, (None, None), 256, 256, 256, false, square);
        check_on(gpu, &mut rng, (None, None), 784, 128, 1024, true, spec);
    }
}

#[test]
fn lanes8_operand_textures_wrap_rows() {
    // lavapipe's kernel reads A and B from textures 4096 texels wide, one
    // per power-of-two height: operands below one texture row, of exactly
    // one (128·128 values), of several rows and a partial one (68·1000 and
    // 1000·132), batched and broadcast, on a fresh device.
    let gpu = Gpu::new(&AdapterChoice::default()).unwrap();
    let mut rng = Rng::new(7);
    let cases = [
        ((false, true), (64, 36, 64)),
        ((false, false), (128, 128, 128)),
        ((true, false), (68, 132, 1000)),
        ((true, true), (132, 36, 1000)),
    ];
    for ((trans_a, trans_b), (m, n, k)) in cases {
        let spec = MatmulSpec {
            trans_a,
            trans_b,
            activation: Activation::LeakyRelu(0.2),
        };
        for batches in [(None, None), (Some(2), None), (None, Some(2))] {
            if gpu.lanes8() {
                let a = stored_shape(batches.0, m, k, trans_a);
                let b = stored_shape(batches.1, k, n, trans_b);
                let entry = matmul_entry(&gpu, &a, &b, &spec).unwrap();
                assert_eq!(entry, LANES8, "{a:?} {b:?} {spec:?}");
            }
            check_on(&gpu, &mut rng, batches, m, n, k, true, spec);
        }
    }
}

#[test]
fn lanes8_operands_that_are_views_start_at_their_offset() {
    // Flat parameters are views into one buffer: the copy into the operand
    // texture must start at the view, not at the buffer.
    let mut rng = Rng::new(8);
    let (m, n, k) = (16, 32, 64);
    let flat = gpu()
        .upload(&rng.vec(4096 + m * k), &[4096 + m * k])
        .unwrap();
    let a = flat.view(4096, &[m, k]).unwrap();
    let a_host = gpu().read(&a).unwrap();
    let b_host = rng.vec(k * n);
    let b = gpu().upload(&b_host, &[k, n]).unwrap();
    let spec = MatmulSpec::default();
    let out = gpu().upload(&vec![f32::NAN; m * n], &[m, n]).unwrap();
    matmul_into(gpu(), &a, &b, None, &out, &spec).unwrap();
    let want = reference::matmul::matmul(&a_host, &[m, k], &b_host, &[k, n], None, &spec);
    assert_close("view A", &gpu().read(&out).unwrap(), &want, MATMUL_TOL);
}

#[test]
fn threads_sharing_a_device_keep_their_operands() {
    // Every lavapipe matmul copies its operands into the device's shared
    // operand textures: threads recording matmuls at once must not see
    // each other's operands (the copy and the dispatch are recorded under
    // one lock). Each thread records all its products before reading any.
    // A race test can only be likely to fail: with the copies and the
    // dispatch under separate locks it failed 2 of 5 runs on lavapipe (and
    // a yield between them, every run).
    let start = std::sync::Barrier::new(4);
    std::thread::scope(|scope| {
        for seed in 0..4u64 {
            let start = &start;
            scope.spawn(move || {
                let gpu = gpu();
                let mut rng = Rng::new(100 + seed);
                let (m, n, k) = (64, 64, 256);
                let cases: Vec<_> = (0..32)
                    .map(|_| {
                        let (a, b) = (rng.vec(m * k), rng.vec(k * n));
                        let want = reference::matmul::matmul(
                            &a,
                            &[m, k],
                            &b,
                            &[k, n],
                            None,
                            &MatmulSpec::default(),
                        );
                        let a = gpu.upload(&a, &[m, k]).unwrap();
                        let b = gpu.upload(&b, &[k, n]).unwrap();
                        (a, b, gpu.empty(&[m, n]).unwrap(), want)
                    })
                    .collect();
                if gpu.lanes8() {
                    let spec = MatmulSpec::default();
                    let entry = matmul_entry(gpu, &[m, k], &[k, n], &spec).unwrap();
                    assert_eq!(entry, LANES8);
                }
                start.wait();
                for (a, b, out, _) in &cases {
                    matmul_into(gpu, a, b, None, out, &MatmulSpec::default()).unwrap();
                }
                for (i, (_, _, out, want)) in cases.iter().enumerate() {
                    let case = format!("thread {seed} product {i}");
                    assert_close(&case, &gpu.read(out).unwrap(), want, MATMUL_TOL);
                }
            });
        }
    });
}

const LANES8: &str = "matmul_forward_lanes8";

#[test]
fn each_device_runs_its_family_of_kernels() {
    // Otherwise the tests above would check one kernel twice. For a vec4
    // shape the register-tile device runs the vec4 kernel, the workgroup
    // one the tiled kernel (split K or not); the shared device runs lanes8
    // on lavapipe (subgroups of 8 on a CPU adapter) and the tiled kernel
    // on GPUs.
    let (a, b, spec) = ([256, 256], [256, 256], MatmulSpec::default());
    let entry = |gpu| matmul_entry(gpu, &a, &b, &spec).unwrap();
    assert_eq!(entry(registers_gpu()), "matmul_forward_vec4");
    assert_eq!(entry(workgroup_gpu()), "matmul_tiled");
    // (Unless GPUGAN_MATMUL forces the shared device's family.)
    let info = gpu().info();
    match gpu().matmul_kernels() {
        MatmulKernels::Adapter if gpu().is_cpu() => {
            if info.subgroup_min_size == 8 && info.subgroup_max_size == 8 {
                assert!(gpu().lanes8(), "{} should run matmul_lanes8", info.name);
                assert_eq!(entry(gpu()), LANES8);
            }
        }
        MatmulKernels::Adapter | MatmulKernels::Workgroup => {
            assert_eq!(entry(gpu()), "matmul_tiled", "{}", info.name);
        }
        MatmulKernels::Registers => assert_eq!(entry(gpu()), "matmul_forward_vec4"),
    }
}

#[test]
fn workgroup_tiles_equal_register_tiles_to_the_bit() {
    // Both sum each output over K in order with one fma per term and share
    // the epilogue, so they agree exactly: partial tiles, K ending inside a
    // 16-wide slice, split K, batches and broadcasts, every transpose.
    let mut rng = Rng::new(9);
    let spec_act = |trans_a, trans_b| MatmulSpec {
        trans_a,
        trans_b,
        activation: Activation::LeakyRelu(0.2),
    };
    for (trans_a, trans_b) in [(false, false), (false, true), (true, false), (true, true)] {
        let spec = spec_act(trans_a, trans_b);
        let cases = [
            random_case(&mut rng, (None, None), 68, 132, 36, true, spec),
            random_case(&mut rng, (None, None), 16, 32, 1000, true, spec),
            random_case(&mut rng, (None, None), 64, 64, 1024, false, spec),
            random_case(&mut rng, (Some(3), Some(3)), 16, 8, 12, true, spec),
            random_case(&mut rng, (None, Some(2)), 20, 40, 44, true, spec),
            random_case(&mut rng, (Some(2), None), 36, 20, 800, true, spec),
        ];
        for c in &cases {
            let registers = run_on(registers_gpu(), c);
            let tiles = run_on(workgroup_gpu(), c);
            let differ = registers
                .iter()
                .zip(&tiles)
                .filter(|(r, t)| r.to_bits() != t.to_bits())
                .count();
            let what = format!("A{:?} B{:?} {spec:?}", c.a_shape, c.b_shape);
            assert_eq!(differ, 0, "{what}: {differ} of {} differ", tiles.len());
        }
    }
}

#[test]
fn an_infinity_in_b_stays_an_infinity_on_every_family() {
    // K = 20 ends inside every kernel's K step (20 of lanes8's 32, 4 of the
    // workgroup tiles' 16). The K values past its end must add nothing:
    // a kernel that clamps B there and zeroes only A adds 0·∞ = NaN where
    // the sum is +∞. B[19, 0] is +∞ and every A
    // value positive, so column 0 is +∞ and the rest match the twin.
    let mut rng = Rng::new(10);
    for gpu in devices() {
        for spec in specs() {
            let (m, n, k) = (8, 8, 20);
            let mut c = random_case(&mut rng, (None, None), m, n, k, true, spec);
            c.a.iter_mut().for_each(|v| *v = v.abs());
            let at = if spec.trans_b { 19 } else { 19 * n };
            c.b[at] = f32::INFINITY;
            let got = run_on(gpu, &c);
            let want = twin(&c);
            let name = format!("{spec:?} on {}", gpu.matmul_family());
            for row in 0..m {
                assert_eq!(got[row * n], f32::INFINITY, "{name}: row {row}, column 0");
            }
            // Columns 1.. of every row: finite, against the twin.
            let rest =
                |v: &[f32]| -> Vec<f32> { v.chunks(n).flat_map(|row| row[1..].to_vec()).collect() };
            let rest_want: Vec<f64> = want.chunks(n).flat_map(|row| row[1..].to_vec()).collect();
            assert_close(&name, &rest(&got), &rest_want, MATMUL_TOL);
        }
    }
}
