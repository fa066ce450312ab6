//! Checkpoints: exact resume (toy MLP with Adam, DCGAN with batch norm and
//! the image data position), round trips, truncated and foreign files, and
//! failed writes that leave the previous checkpoint whole.

use std::path::{Path, PathBuf};

use gpugan::gpu::kernels::toy::ToyKind;
use gpugan::models::dcgan::DNorm;
use gpugan::train::checkpoint::{self, Checkpoint};
use gpugan::train::loss::LossKind;
use gpugan::train::{DataSpec, LrDecay, OptKind, TrainConfig, Trainer};

use crate::common::{gpu, temp_dir};

pub fn toy(hidden: usize) -> TrainConfig {
    TrainConfig {
        hidden,
        batch_size: 64,
        steps: 20,
        lr: 1e-3,
        lr_decay: LrDecay::Linear,
        seed: 7,
        ..TrainConfig::toy_default(ToyKind::EightGaussians)
    }
}

fn dcgan() -> TrainConfig {
    TrainConfig {
        g_width: 4,
        d_width: 4,
        batch_size: 8,
        n_critic: 2,
        steps: 4,
        loss: LossKind::Hinge,
        d_norm: DNorm::Batch,
        opt: OptKind::Rmsprop,
        seed: 3,
        ..TrainConfig::images_cpu(DataSpec::Embedded)
    }
}

/// Every tensor of the trainer's state, as bits.
fn state_bits(t: &Trainer) -> Vec<(String, Vec<u32>)> {
    t.state_tensors()
        .iter()
        .map(|(n, v)| {
            let bits = gpu().read(v).unwrap().iter().map(|x| x.to_bits()).collect();
            (n.clone(), bits)
        })
        .collect()
}

/// `steps` straight vs. `steps / 2`, checkpoint, a fresh trainer resumed
/// from it, the rest: the final states must be identical bit for bit.
fn assert_resume_exact(config: TrainConfig, name: &str) {
    let steps = config.steps;
    let mut straight = Trainer::new(gpu(), config.clone()).unwrap();
    for _ in 0..steps {
        straight.iteration().unwrap();
    }
    let path = temp_dir(name).join("half.safetensors");
    let mut first = Trainer::new(gpu(), config.clone()).unwrap();
    for _ in 0..steps / 2 {
        first.iteration().unwrap();
    }
    first.save_checkpoint(&path).unwrap();
    drop(first);
    let ckpt = Checkpoint::read(&path).unwrap();
    let mut resumed = Trainer::resume(gpu(), &ckpt, ckpt.config().unwrap()).unwrap();
    assert_eq!(resumed.step, steps / 2);
    while resumed.step < steps {
        resumed.iteration().unwrap();
    }
    let (a, b) = (state_bits(&straight), state_bits(&resumed));
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        let differing = x.iter().zip(y).filter(|(p, q)| p != q).count();
        assert_eq!(
            differing,
            0,
            "{name}: {differing} of {} values differ",
            x.len()
        );
    }
}

#[test]
fn resume_is_bit_exact_toy_adam() {
    assert_resume_exact(toy(16), "toy");
}

#[test]
fn resume_is_bit_exact_dcgan_batch_norm_rmsprop() {
    assert_resume_exact(dcgan(), "dcgan");
}

fn saved_toy(name: &str) -> (Trainer, PathBuf) {
    let mut t = Trainer::new(gpu(), toy(16)).unwrap();
    for _ in 0..2 {
        t.iteration().unwrap();
    }
    let path = temp_dir(name).join("c.safetensors");
    t.save_checkpoint(&path).unwrap();
    (t, path)
}

#[test]
fn round_trip_names_shapes_values_and_config() {
    let (t, path) = saved_toy("roundtrip");
    let ckpt = Checkpoint::read(&path).unwrap();
    let stored = ckpt.shapes().unwrap();
    let state = t.state_tensors();
    assert_eq!(stored.len(), state.len());
    for (name, tensor) in &state {
        let values = ckpt.values(name, tensor.shape()).unwrap();
        assert_eq!(values, gpu().read(tensor).unwrap(), "{name}");
    }
    for name in [
        "generator.net.0.weight",
        "critic.net.6.bias",
        "optimizer_d.net.0.weight.exp_avg_sq",
    ] {
        assert!(stored.iter().any(|(n, _)| n == name), "missing {name}");
    }
    let config = ckpt.config().unwrap();
    assert_eq!(config.to_toml(), t.config.to_toml());
    assert_eq!(ckpt.meta_u64("step").unwrap(), 2);
}

#[test]
fn truncated_checkpoints_are_rejected_with_the_file_named() {
    let (_, path) = saved_toy("truncated");
    let bytes = std::fs::read(&path).unwrap();
    for eighth in 0..8 {
        let cut = path.with_file_name(format!("cut{eighth}.safetensors"));
        std::fs::write(&cut, &bytes[..bytes.len() * eighth / 8]).unwrap();
        let e = Checkpoint::read(&cut).err().expect("must fail").to_string();
        assert!(
            e.contains(&cut.display().to_string()) && e.contains("truncated or corrupt"),
            "cut at {eighth}/8: {e}"
        );
    }
    let e = Checkpoint::read(Path::new("/nonexistent/x.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("/nonexistent/x.safetensors") && e.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn another_architecture_is_refused_naming_the_tensor() {
    let (_, path) = saved_toy("foreign");
    let ckpt = Checkpoint::read(&path).unwrap();
    let wider = Trainer::new(gpu(), toy(32)).unwrap();
    let e = ckpt
        .restore(gpu(), &wider.state_tensors())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("generator.net.0.weight") && e.contains("[32, 2]"),
        "{e}"
    );
    let images = Trainer::new(gpu(), dcgan()).unwrap();
    let e = ckpt
        .restore(gpu(), &images.state_tensors())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not have") || e.contains("has no tensor"),
        "{e}"
    );
}

#[test]
fn a_failed_write_leaves_the_previous_checkpoint_whole() {
    let (t, path) = saved_toy("failed-write");
    let before = std::fs::read(&path).unwrap();
    // The temporary name is taken by a folder: the write fails before the rename.
    std::fs::create_dir_all(path.with_extension("tmp")).unwrap();
    let e = t.save_checkpoint(&path).unwrap_err().to_string();
    assert!(e.contains("cannot write"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    Checkpoint::read(&path).unwrap();
}

#[test]
fn prune_keeps_the_newest() {
    let dir = temp_dir("ckpt-prune");
    std::fs::create_dir_all(dir.join("checkpoints")).unwrap();
    for step in [5, 10, 15, 20] {
        std::fs::write(checkpoint::path_for(&dir, step), b"x").unwrap();
    }
    checkpoint::prune(&dir, 2).unwrap();
    let left: Vec<u64> = checkpoint::list(&dir)
        .unwrap()
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(left, [15, 20]);
    assert_eq!(
        checkpoint::latest(&dir).unwrap(),
        checkpoint::path_for(&dir, 20)
    );
}

#[test]
fn a_stopped_run_saves_and_resumes_to_the_end() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use gpugan::train::run::{ResumeChanges, RunControl, resume, train_with};

    let dir = temp_dir("ckpt-stop");
    let config = TrainConfig {
        out: dir.clone(),
        steps: 6,
        log_every: 2,
        sample_every: 100,
        checkpoint_every: 100,
        ..toy(16)
    };
    // The flag is already up: the run finishes its first iteration, saves, stops.
    let stop = RunControl {
        stop: Some(Arc::new(AtomicBool::new(true))),
    };
    let first = train_with(gpu(), config, &stop).unwrap();
    assert!(first.interrupted);
    assert_eq!(first.steps, 1);
    assert_eq!(first.checkpoint, Some(checkpoint::path_for(&dir, 1)));
    let rest = resume(
        gpu(),
        &dir,
        &ResumeChanges::default(),
        &RunControl::default(),
    )
    .unwrap();
    assert!(!rest.interrupted);
    assert_eq!((rest.first_step, rest.steps), (1, 6));
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let steps: Vec<&str> = metrics
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["1", "2", "4", "6"],
        "one row per logged step, none repeated"
    );

    // Longer, logging every step: the arithmetic settings stay the run's.
    let changes = ResumeChanges {
        steps: Some(8),
        log_every: Some(1),
        ..ResumeChanges::default()
    };
    let more = resume(gpu(), &dir, &changes, &RunControl::default()).unwrap();
    assert_eq!((more.first_step, more.steps), (6, 8));
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 1 + 4 + 2);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(
        config.contains("log_every = 1") && config.contains("steps = 8"),
        "{config}"
    );
}
