//! Twins of `optim.wgsl`: PyTorch's update rules (torch.optim.Adam with
//! amsgrad off, torch.optim.RMSprop), in f64, then WGAN's weight clipping
//! (`p.data.clamp_(-c, c)` after `step()`) where the step asks for it.

use gpugan::gpu::kernels::optim::{AdamStep, RmspropStep};

#[derive(Clone, Default)]
pub struct AdamState {
    pub m: Vec<f64>,
    pub v: Vec<f64>,
}

pub fn adam_step(h: &AdamStep, theta: &mut [f64], grad: &[f64], s: &mut AdamState) {
    let (b1, b2) = (f64::from(h.beta1), f64::from(h.beta2));
    let t = h.step as i32;
    let bc1 = 1.0 - b1.powi(t);
    let bc2 = 1.0 - b2.powi(t);
    for i in 0..theta.len() {
        let g = grad[i] + f64::from(h.weight_decay) * theta[i];
        s.m[i] = b1 * s.m[i] + (1.0 - b1) * g;
        s.v[i] = b2 * s.v[i] + (1.0 - b2) * g * g;
        let denom = s.v[i].sqrt() / bc2.sqrt() + f64::from(h.eps);
        theta[i] -= f64::from(h.lr) / bc1 * s.m[i] / denom;
    }
    clip(theta, h.clip);
}

#[derive(Clone, Default)]
pub struct RmspropState {
    pub square_avg: Vec<f64>,
    pub grad_avg: Vec<f64>,
    pub momentum_buf: Vec<f64>,
}

pub fn rmsprop_step(h: &RmspropStep, theta: &mut [f64], grad: &[f64], s: &mut RmspropState) {
    let alpha = f64::from(h.alpha);
    for i in 0..theta.len() {
        let g = grad[i] + f64::from(h.weight_decay) * theta[i];
        s.square_avg[i] = alpha * s.square_avg[i] + (1.0 - alpha) * g * g;
        let avg = if h.centered {
            s.grad_avg[i] = alpha * s.grad_avg[i] + (1.0 - alpha) * g;
            s.square_avg[i] - s.grad_avg[i] * s.grad_avg[i]
        } else {
            s.square_avg[i]
        };
        let d = avg.sqrt() + f64::from(h.eps);
        if h.momentum > 0.0 {
            s.momentum_buf[i] = f64::from(h.momentum) * s.momentum_buf[i] + g / d;
            theta[i] -= f64::from(h.lr) * s.momentum_buf[i];
        } else {
            theta[i] -= f64::from(h.lr) * g / d;
        }
    }
    clip(theta, h.clip);
}

fn clip(theta: &mut [f64], c: Option<f32>) {
    if let Some(c) = c.map(f64::from) {
        theta.iter_mut().for_each(|v| *v = v.clamp(-c, c));
    }
}
