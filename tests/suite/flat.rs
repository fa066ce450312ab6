//! Tensor views and the flat parameter buffer: a network's parameters in
//! one buffer, updated by one optimizer dispatch, must train exactly as
//! parameters in their own buffers updated one by one.

use gpugan::autograd::Var;
use gpugan::gpu::kernels::elementwise::{Unary, unary_into};
use gpugan::gpu::kernels::fill::full;
use gpugan::gpu::kernels::optim::{AdamStep, RmspropStep, adam_step, rmsprop_step};
use gpugan::gpu::kernels::toy::ToyKind;
use gpugan::optim::{FlatParams, OptimConfig, Optimizer};
use gpugan::train::{TrainConfig, Trainer};
use gpugan::{AdapterChoice, Gpu, Tensor};

use crate::common::{Rng, gpu, read, upload};

/// A device of the test's own: the shared one also counts other tests'
/// dispatches.
fn own_gpu() -> Gpu {
    Gpu::new(&AdapterChoice::default()).unwrap()
}

/// Ragged parameter shapes: none a multiple of the 64-element alignment.
const SHAPES: [&[usize]; 4] = [&[3], &[17, 5], &[65], &[1]];

#[test]
fn views_read_write_and_bind_their_own_range() {
    let mut rng = Rng::new(80);
    let base: Vec<f32> = rng.vec(256);
    let t = upload(&base, &[256]);
    let v = t.view(64, &[5, 7]).unwrap();
    assert_eq!(read(&v), base[64..99].to_vec(), "a view reads its range");
    // A kernel reading one view and writing another of the same buffer
    // (read-only and read-write bindings of one buffer conflict in wgpu, so
    // through a copy) touches only the written view's 35 elements.
    let doubled = gpu().empty(&[5, 7]).unwrap();
    unary_into(gpu(), Unary::Scale(2.0), &v, &doubled).unwrap();
    let w = t.view(128, &[35]).unwrap();
    unary_into(
        gpu(),
        Unary::Scale(0.5),
        &doubled.reshape(&[35]).unwrap(),
        &w,
    )
    .unwrap();
    let mut want = base.clone();
    want.copy_within(64..99, 128);
    assert_eq!(read(&t), want);
    assert_eq!(
        read(&doubled),
        base[64..99].iter().map(|x| x * 2.0).collect::<Vec<_>>()
    );
    // Writes through a view land in the parent.
    let patch = rng.vec(35);
    gpu().write(&v, &patch).unwrap();
    want[64..99].copy_from_slice(&patch);
    assert_eq!(read(&v), patch);
    assert_eq!(read(&t), want);
    // Misaligned, empty or overhanging views are refused.
    assert!(t.view(3, &[4]).is_err());
    assert!(t.view(192, &[65]).is_err());
    assert!(t.view(0, &[0]).is_err());
}

/// Parameters with random values as Vars, and their values.
fn params(gpu: &Gpu, rng: &mut Rng) -> (Vec<Var>, Vec<Vec<f32>>) {
    let values: Vec<Vec<f32>> = SHAPES.iter().map(|s| rng.vec(s.iter().product())).collect();
    let vars = SHAPES
        .iter()
        .zip(&values)
        .map(|(s, v)| Var::parameter(gpu, gpu.upload(v, s).unwrap()))
        .collect();
    (vars, values)
}

/// `steps` updates of flat parameters (one dispatch each, checked) and of
/// the same parameters in their own buffers (one kernel per tensor, the
/// kernels the optimizer tests check against PyTorch): bit-identical.
fn flat_matches_per_tensor(config: OptimConfig, seed: u64) {
    let gpu = &own_gpu();
    let read = |t: &Tensor| gpu.read(t).unwrap();
    let upload = |v: &[f32], s: &[usize]| gpu.upload(v, s).unwrap();
    let mut rng = Rng::new(seed);
    let (mut vars, values) = params(gpu, &mut rng);
    let separate: Vec<_> = SHAPES
        .iter()
        .zip(&values)
        .map(|(s, v)| upload(v, s))
        .collect();
    let flat = FlatParams::adopt(gpu, vars.iter_mut().collect()).unwrap();
    for (var, v) in vars.iter().zip(&values) {
        assert_eq!(&read(var.value()), v, "adopt keeps every value");
    }
    let mut opt = Optimizer::new(gpu, config, &flat).unwrap();
    let states: Vec<Vec<_>> = SHAPES
        .iter()
        .map(|s| (0..3).map(|_| full(gpu, s, 0.0).unwrap()).collect())
        .collect();
    for step in 1..=5 {
        let grads: Vec<_> = SHAPES
            .iter()
            .map(|s| upload(&rng.vec(s.iter().product()), s))
            .collect();
        let before = gpu.recorder_stats().dispatches;
        opt.step(gpu, &flat, &grads).unwrap();
        assert_eq!(gpu.recorder_stats().dispatches - before, 1, "one dispatch");
        for ((p, g), s) in separate.iter().zip(&grads).zip(&states) {
            match config {
                OptimConfig::Adam {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                } => {
                    let h = AdamStep {
                        lr,
                        beta1,
                        beta2,
                        eps,
                        weight_decay,
                        step,
                        clip: None,
                    };
                    adam_step(gpu, &h, p, g, &s[0], &s[1]).unwrap();
                }
                OptimConfig::Rmsprop {
                    lr,
                    alpha,
                    eps,
                    weight_decay,
                    momentum,
                    centered,
                } => {
                    let h = RmspropStep {
                        lr,
                        alpha,
                        eps,
                        weight_decay,
                        momentum,
                        centered,
                        clip: None,
                    };
                    rmsprop_step(gpu, &h, p, g, &s[0], &s[1], &s[2]).unwrap();
                }
            }
        }
    }
    for (i, (var, p)) in vars.iter().zip(&separate).enumerate() {
        assert_eq!(read(var.value()), read(p), "{config:?}: parameter {i}");
        for (j, s) in opt.state(i).iter().enumerate() {
            assert_eq!(read(s), read(&states[i][j]), "{config:?}: state {j} of {i}");
        }
    }
    // The padding between parameters is still zero.
    let all = read(flat.flat());
    let mut start = 0;
    for s in SHAPES {
        let n: usize = s.iter().product();
        let end = n.next_multiple_of(64);
        assert!(
            all[start + n..start + end].iter().all(|&x| x == 0.0),
            "padding"
        );
        start += end;
    }
    // With WGAN's clipping the update is still one dispatch, and it leaves
    // every parameter within the bound, some at it, the padding at zero.
    opt.set_clip(Some(0.01));
    let grads: Vec<_> = SHAPES
        .iter()
        .map(|s| upload(&rng.vec(s.iter().product()), s))
        .collect();
    let before = gpu.recorder_stats().dispatches;
    opt.step(gpu, &flat, &grads).unwrap();
    assert_eq!(gpu.recorder_stats().dispatches - before, 1, "one dispatch");
    let clipped = read(flat.flat());
    assert!(clipped.iter().all(|x| x.abs() <= 0.01), "{config:?}: clip");
    assert!(clipped.iter().any(|x| x.abs() == 0.01), "{config:?}: clip");
    assert_eq!(
        clipped.iter().filter(|&&x| x != 0.0).count(),
        SHAPES
            .iter()
            .map(|s| s.iter().product::<usize>())
            .sum::<usize>(),
        "{config:?}: the padding stays zero"
    );
    // A refused update (a bound of 0 means nothing) is not counted.
    let steps = opt.steps();
    opt.set_clip(Some(0.0));
    assert!(opt.step(gpu, &flat, &grads).is_err(), "{config:?}: clip 0");
    assert_eq!(opt.steps(), steps, "{config:?}: a refused update counted");
}

#[test]
fn flat_adam_matches_per_tensor_adam() {
    let adam = OptimConfig::Adam {
        lr: 1e-2,
        beta1: 0.5,
        beta2: 0.9,
        eps: 1e-8,
        weight_decay: 0.1,
    };
    flat_matches_per_tensor(adam, 81);
}

#[test]
fn flat_rmsprop_matches_per_tensor_rmsprop() {
    let rmsprop = OptimConfig::Rmsprop {
        lr: 1e-2,
        alpha: 0.9,
        eps: 1e-6,
        weight_decay: 0.05,
        momentum: 0.5,
        centered: true,
    };
    flat_matches_per_tensor(rmsprop, 82);
}

#[test]
fn trainer_updates_each_network_with_one_optimizer_dispatch() {
    // Toy WGAN-GP, n_critic 5: one Adam dispatch per critic step and one for
    // the generator step, whatever the number of parameter tensors.
    let config = TrainConfig {
        n_critic: 5,
        ..TrainConfig::toy_cpu(ToyKind::EightGaussians)
    };
    let gpu = own_gpu();
    let mut trainer = Trainer::new(&gpu, config).unwrap();
    assert!(trainer.critic.parameters().len() > 2);
    trainer.iteration().unwrap();
    gpu.start_profiling().unwrap();
    trainer.iteration().unwrap();
    let profile = gpu.take_profile().unwrap();
    let adam: u64 = profile
        .kernels
        .iter()
        .filter(|(name, _)| name.starts_with("adam_step"))
        .map(|(_, time)| time.launches)
        .sum();
    assert_eq!(adam, 6, "{}", profile.report());
}
