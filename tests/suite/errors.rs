//! Bad shapes give errors that name both shapes, never a panic in wgpu.

use gpugan::gpu::kernels::elementwise::{Binary, binary};
use gpugan::gpu::kernels::matmul::{MatmulSpec, matmul, matmul_into, matmul_shape};
use gpugan::gpu::kernels::reduce::sum_axis;

use crate::common::{gpu, poisoned};

fn message<T: std::fmt::Debug>(r: gpugan::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn matmul_inner_dimension_mismatch_names_both_shapes() {
    let (a, b) = (poisoned(&[3, 4]), poisoned(&[5, 2]));
    let msg = message(matmul(gpu(), &a, &b, None, &MatmulSpec::default()));
    assert!(msg.contains("[3, 4]") && msg.contains("[5, 2]"), "{msg}");
    // The transposed reading of the same operands fits.
    let spec = MatmulSpec {
        trans_a: true,
        trans_b: false,
        ..MatmulSpec::default()
    };
    assert!(matmul(gpu(), &poisoned(&[5, 4]), &b, None, &spec).is_ok());
}

#[test]
fn matmul_with_an_empty_inner_dimension_is_refused() {
    // K = 0 would divide by zero when K is split, and the tiled kernels
    // load their first slice unconditionally.
    let msg = message(matmul_shape(&[3, 0], &[0, 2], &MatmulSpec::default()));
    assert!(msg.contains("[3, 0]") && msg.contains("K = 0"), "{msg}");
}

#[test]
fn matmul_batch_output_and_bias_mismatches() {
    let msg = message(matmul(
        gpu(),
        &poisoned(&[2, 3, 4]),
        &poisoned(&[3, 4, 5]),
        None,
        &MatmulSpec::default(),
    ));
    assert!(
        msg.contains("[2, 3, 4]") && msg.contains("[3, 4, 5]"),
        "{msg}"
    );
    let (a, b) = (poisoned(&[3, 4]), poisoned(&[4, 5]));
    let msg = message(matmul_into(
        gpu(),
        &a,
        &b,
        None,
        &poisoned(&[3, 6]),
        &MatmulSpec::default(),
    ));
    assert!(msg.contains("[3, 5]") && msg.contains("[3, 6]"), "{msg}");
    let msg = message(matmul(
        gpu(),
        &a,
        &b,
        Some(&poisoned(&[4])),
        &MatmulSpec::default(),
    ));
    assert!(
        msg.contains("bias") && msg.contains("[5]") && msg.contains("[4]"),
        "{msg}"
    );
    let msg = message(matmul(
        gpu(),
        &poisoned(&[2, 2, 3, 4]),
        &b,
        None,
        &MatmulSpec::default(),
    ));
    assert!(msg.contains("[2, 2, 3, 4]"), "{msg}");
}

#[test]
fn elementwise_reduce_reshape_and_upload_mismatches() {
    let msg = message(binary(
        gpu(),
        Binary::Add,
        &poisoned(&[3, 4]),
        &poisoned(&[4, 3]),
    ));
    assert!(msg.contains("[3, 4]") && msg.contains("[4, 3]"), "{msg}");
    let msg = message(sum_axis(gpu(), &poisoned(&[3, 4]), 2));
    assert!(msg.contains("axis 2") && msg.contains("[3, 4]"), "{msg}");
    let msg = message(poisoned(&[3, 4]).reshape(&[5, 2]));
    assert!(msg.contains("[3, 4]") && msg.contains("[5, 2]"), "{msg}");
    let msg = message(gpu().upload(&[1.0; 5], &[2, 3]));
    assert!(msg.contains('6') && msg.contains('5'), "{msg}");
    let msg = message(gpu().empty(&[0, 3]));
    assert!(msg.contains("[0, 3]"), "{msg}");
}
