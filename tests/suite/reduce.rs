//! Reductions against their twins.

use gpugan::gpu::kernels::reduce::{
    reduced_shape, sum_all_into, sum_axis_into, sum_squares_rows_into,
};

use crate::common::{RAGGED, REDUCE_TOL, Rng, assert_close, gpu, poisoned, read, upload};
use crate::reference::reduce as twin;

#[test]
fn sum_and_mean_over_everything() {
    let mut rng = Rng::new(20);
    // Past 4·1024 elements the two-pass path runs; 1,000,003 is ragged.
    for n in RAGGED.into_iter().chain([4096, 4097, 65_537, 1_000_003]) {
        let x = rng.vec(n);
        for scale in [1.0, 1.0 / n as f64] {
            let out = poisoned(&[1]);
            sum_all_into(gpu(), &upload(&x, &[n]), scale as f32, &out).unwrap();
            let want = [twin::sum_all(&x, scale)];
            // Random signs make the sum small next to its terms, so compare
            // against the sum of magnitudes, the scale of the rounding error.
            let magnitude = twin::sum_all(&x.iter().map(|v| v.abs()).collect::<Vec<_>>(), scale);
            let err = (f64::from(read(&out)[0]) - want[0]).abs() / magnitude;
            assert!(
                err <= REDUCE_TOL,
                "sum_all n={n} scale={scale}: error {err:.3e} of the magnitude"
            );
        }
    }
}

#[test]
fn sum_over_each_axis() {
    let mut rng = Rng::new(21);
    let shapes: [&[usize]; 5] = [&[17], &[3, 65], &[127, 1, 3], &[4, 17, 5], &[2, 3, 257]];
    for shape in shapes {
        let x = rng.vec(shape.iter().product());
        for axis in 0..shape.len() {
            let len = shape[axis] as f64;
            for scale in [1.0, 1.0 / len] {
                let out = poisoned(&reduced_shape(shape, axis));
                sum_axis_into(gpu(), &upload(&x, shape), axis, scale as f32, &out).unwrap();
                let want = twin::sum_axis(&x, shape, axis, scale);
                assert_close(
                    &format!("sum_axis {shape:?} axis {axis} scale {scale}"),
                    &read(&out),
                    &want,
                    REDUCE_TOL,
                );
            }
        }
    }
}

#[test]
fn sum_of_squares_per_row() {
    let mut rng = Rng::new(22);
    let shapes: [&[usize]; 5] = [&[1, 1], &[3, 17], &[65, 2], &[127, 3, 5], &[4, 1, 28, 28]];
    for shape in shapes {
        let x = rng.vec(shape.iter().product());
        let out = poisoned(&[shape[0]]);
        sum_squares_rows_into(gpu(), &upload(&x, shape), &out).unwrap();
        assert_close(
            &format!("sum_squares_rows {shape:?}"),
            &read(&out),
            &twin::sum_squares_rows(&x, shape[0]),
            REDUCE_TOL,
        );
    }
}
