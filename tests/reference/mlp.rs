//! CPU reference of a leaky-ReLU MLP critic and of its gradient penalty
//! λ·mean_b (‖∇x D(x_b)‖ − 1)², with the penalty's gradient with respect to
//! every weight derived by hand, in f64.
//!
//! With leaky ReLU the masks S_l = diag(σ'(pre-activation)) are locally
//! constant, so ∇x D = W1ᵀ S1 W2ᵀ S2 … W_Lᵀ and the penalty does not depend
//! on the biases (their gradient is zero almost everywhere).

pub struct MlpRef {
    /// Per layer, row-major [out, in] as PyTorch stores it.
    pub weights: Vec<Vec<f64>>,
    pub biases: Vec<Vec<f64>>,
    pub sizes: Vec<usize>,
    pub slope: f64,
}

impl MlpRef {
    fn layers(&self) -> usize {
        self.weights.len()
    }

    /// Masks σ'(pre-activation) of each hidden layer for one sample.
    fn masks(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut h = x.to_vec();
        let mut masks = Vec::new();
        for l in 0..self.layers() - 1 {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let pre: Vec<f64> = (0..n_out)
                .map(|j| {
                    self.biases[l][j]
                        + (0..n_in)
                            .map(|i| self.weights[l][j * n_in + i] * h[i])
                            .sum::<f64>()
                })
                .collect();
            masks.push(
                pre.iter()
                    .map(|&v| if v > 0.0 { 1.0 } else { self.slope })
                    .collect(),
            );
            h = pre
                .iter()
                .map(|&v| if v > 0.0 { v } else { self.slope * v })
                .collect();
        }
        masks
    }

    /// v_l for l = 1..=L (index 0 is v_1 = ∇x D), and z_l = S_l v_{l+1}.
    fn chain(&self, masks: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let last = self.layers() - 1;
        let mut v = vec![Vec::new(); self.layers()];
        let mut z = vec![Vec::new(); self.layers()];
        v[last] = self.weights[last].clone(); // W_L is [1, h]
        for l in (0..last).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            z[l] = (0..n_out).map(|j| masks[l][j] * v[l + 1][j]).collect();
            v[l] = (0..n_in)
                .map(|i| {
                    (0..n_out)
                        .map(|j| self.weights[l][j * n_in + i] * z[l][j])
                        .sum()
                })
                .collect();
        }
        (v, z)
    }

    /// ∇x D(x) for one sample.
    pub fn input_grad(&self, x: &[f64]) -> Vec<f64> {
        self.chain(&self.masks(x)).0.remove(0)
    }

    /// λ·mean (‖∇x D‖ − 1)², the norm as √(‖·‖² + eps) like the GPU's.
    pub fn penalty(&self, xs: &[Vec<f64>], lambda: f64, eps: f64) -> f64 {
        let b = xs.len() as f64;
        xs.iter()
            .map(|x| {
                let g = self.input_grad(x);
                let norm = (g.iter().map(|v| v * v).sum::<f64>() + eps).sqrt();
                lambda * (norm - 1.0).powi(2) / b
            })
            .sum()
    }

    /// ∂penalty/∂W_l for every layer (the bias gradients are zero).
    pub fn penalty_weight_grads(&self, xs: &[Vec<f64>], lambda: f64, eps: f64) -> Vec<Vec<f64>> {
        let b = xs.len() as f64;
        let mut grads: Vec<Vec<f64>> = self.weights.iter().map(|w| vec![0.0; w.len()]).collect();
        let last = self.layers() - 1;
        for x in xs {
            let (v, z) = self.chain(&self.masks(x));
            let norm = (v[0].iter().map(|t| t * t).sum::<f64>() + eps).sqrt();
            // u_1 = ∂p/∂v_1, then u_{l+1} = S_l W_l u_l.
            let mut u: Vec<f64> = v[0]
                .iter()
                .map(|&g| lambda / b * 2.0 * (norm - 1.0) * g / norm)
                .collect();
            for l in 0..last {
                let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
                for j in 0..n_out {
                    for i in 0..n_in {
                        grads[l][j * n_in + i] += z[l][j] * u[i];
                    }
                }
                let masks = self.masks(x);
                u = (0..n_out)
                    .map(|j| {
                        masks[l][j]
                            * (0..n_in)
                                .map(|i| self.weights[l][j * n_in + i] * u[i])
                                .sum::<f64>()
                    })
                    .collect();
            }
            for (gw, ui) in grads[last].iter_mut().zip(&u) {
                *gw += ui;
            }
        }
        grads
    }
}
