//! Times matmul shapes against each other, interleaved: every round runs
//! each shape once and the best of the rounds is kept, so a change in the
//! machine's speed (lavapipe hosts swing 2× for minutes) hits all shapes
//! alike. The figures behind BENCHMARKS.md's "K-contiguous B operands".
//!
//! cargo run --release --example matmul_shapes -- ROUNDS M,N,K,TA,TB ...
//! e.g. `-- 10 128,3136,1024,0,0 128,3136,1024,0,1` (TA/TB: 1 = operand
//! stored transposed). NO_LANES8=1 keeps the register-tile kernels.

use std::time::Instant;

use gpugan::gpu::kernels::matmul::{MatmulSpec, matmul_into, matmul_shape};
use gpugan::{AdapterChoice, Gpu};

fn parse(arg: &str) -> (usize, usize, usize, bool, bool) {
    let v: Vec<usize> = arg
        .split(',')
        .map(|s| s.parse().expect("M,N,K,TA,TB as integers"))
        .collect();
    assert_eq!(v.len(), 5, "{arg}: expected M,N,K,TA,TB");
    (v[0], v[1], v[2], v[3] == 1, v[4] == 1)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(5, |s| s.parse().expect("ROUNDS"));
    let gpu = Gpu::new(&AdapterChoice::default()).expect("an adapter");
    if std::env::var_os("NO_LANES8").is_some() {
        gpu.set_matmul_kernels(gpugan::gpu::MatmulKernels::Registers);
    }
    let fill = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    };
    let mut cases = Vec::new();
    for arg in &args[1.min(args.len())..] {
        let (m, n, k, trans_a, trans_b) = parse(arg);
        let a_shape = if trans_a { [k, m] } else { [m, k] };
        let b_shape = if trans_b { [n, k] } else { [k, n] };
        let spec = MatmulSpec {
            trans_a,
            trans_b,
            ..MatmulSpec::default()
        };
        let shape = matmul_shape(&a_shape, &b_shape, &spec).expect("a valid shape");
        let a = gpu.upload(&fill(m * k), &a_shape).expect("upload");
        let b = gpu.upload(&fill(k * n), &b_shape).expect("upload");
        let out = gpu.empty(&shape.output()).expect("output");
        // Warm: pipeline built, buffers pooled.
        matmul_into(&gpu, &a, &b, None, &out, &spec).expect("matmul");
        gpu.sync().expect("sync");
        cases.push((arg, spec, a, b, out, shape.flops(), f64::MAX));
    }
    for _ in 0..rounds {
        for (_, spec, a, b, out, _, best) in cases.iter_mut() {
            let start = Instant::now();
            matmul_into(&gpu, a, b, None, out, spec).expect("matmul");
            gpu.sync().expect("sync");
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    for (arg, _, _, _, _, flops, best) in cases {
        println!(
            "{arg:24} {:8.2} ms {:6.1} GFLOP/s",
            best * 1e3,
            flops / best / 1e9
        );
    }
}
