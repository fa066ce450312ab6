//! Twin of `matmul_forward` / `matmul_forward_vec4`.

use gpugan::gpu::kernels::matmul::{Activation, MatmulSpec, matmul_shape};

pub fn activate(v: f64, act: Activation) -> f64 {
    match act {
        Activation::None => v,
        Activation::Relu => v.max(0.0),
        Activation::LeakyRelu(s) => {
            if v > 0.0 {
                v
            } else {
                f64::from(s) * v
            }
        }
        Activation::Tanh => v.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
    }
}

/// `act(op(A)·op(B) + bias)` per batch; shapes as the launcher takes them.
pub fn matmul(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    bias: Option<&[f32]>,
    spec: &MatmulSpec,
) -> Vec<f64> {
    let s = matmul_shape(a_shape, b_shape, spec).expect("valid shapes");
    let (m, n, k) = (s.m, s.n, s.k);
    let mut c = vec![0.0; s.batch * m * n];
    for bt in 0..s.batch {
        let a = &a[bt * s.stride_a..];
        let b = &b[bt * s.stride_b..];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f64;
                for kk in 0..k {
                    let av = if spec.trans_a {
                        a[kk * m + i]
                    } else {
                        a[i * k + kk]
                    };
                    let bv = if spec.trans_b {
                        b[j * k + kk]
                    } else {
                        b[kk * n + j]
                    };
                    acc += f64::from(av) * f64::from(bv);
                }
                let v = acc + bias.map_or(0.0, |bias| f64::from(bias[j]));
                c[bt * m * n + i * n + j] = activate(v, spec.activation);
            }
        }
    }
    c
}
