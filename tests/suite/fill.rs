//! fill and copy: every element written, nothing outside the range touched.

use gpugan::gpu::kernels::fill::{copy_range, fill};

use crate::common::{RAGGED, Rng, assert_close, gpu, poisoned, read, upload};

#[test]
fn fill_writes_every_element() {
    for n in RAGGED.into_iter().chain([300_001]) {
        let out = poisoned(&[n]);
        fill(gpu(), &out, -2.5).unwrap();
        assert_close(&format!("fill n={n}"), &read(&out), &vec![-2.5; n], 0.0);
    }
}

#[test]
fn copy_range_moves_only_the_range() {
    let mut rng = Rng::new(30);
    for n in RAGGED {
        let src = rng.vec(n + 5);
        let dst = rng.vec(n + 9);
        let dst_t = upload(&dst, &[n + 9]);
        copy_range(gpu(), &upload(&src, &[n + 5]), 2, &dst_t, 7, n).unwrap();
        let mut want: Vec<f64> = dst.iter().map(|&v| f64::from(v)).collect();
        for i in 0..n {
            want[7 + i] = f64::from(src[2 + i]);
        }
        assert_close(&format!("copy n={n}"), &read(&dst_t), &want, 0.0);
    }
    // An out-of-range copy is an error, not a GPU fault.
    let t = poisoned(&[4]);
    assert!(copy_range(gpu(), &t, 1, &t, 0, 4).is_err());
}

#[test]
fn tile_rows_and_repeat_cols_broadcast() {
    use gpugan::gpu::kernels::fill::{repeat_cols_into, tile_rows_into};
    let mut rng = Rng::new(31);
    for (rows, cols) in [(1, 1), (3, 17), (65, 3), (127, 1)] {
        let v = rng.vec(cols);
        let out = poisoned(&[rows, cols]);
        tile_rows_into(gpu(), &upload(&v, &[cols]), &out).unwrap();
        let want: Vec<f64> = (0..rows * cols).map(|i| f64::from(v[i % cols])).collect();
        assert_close(&format!("tile_rows {rows}x{cols}"), &read(&out), &want, 0.0);

        let u = rng.vec(rows);
        let out = poisoned(&[rows, cols]);
        repeat_cols_into(gpu(), &upload(&u, &[rows]), &out).unwrap();
        let want: Vec<f64> = (0..rows * cols).map(|i| f64::from(u[i / cols])).collect();
        assert_close(
            &format!("repeat_cols {rows}x{cols}"),
            &read(&out),
            &want,
            0.0,
        );
    }
    let out = poisoned(&[4, 5]);
    assert!(tile_rows_into(gpu(), &poisoned(&[3]), &out).is_err());
    assert!(repeat_cols_into(gpu(), &poisoned(&[3]), &out).is_err());
}
