//! The binary's error paths (bad flags give one line on stderr and a
//! non-zero exit, never a panic) and what it shows while it trains.

use std::process::Command;

/// stderr lines other than Mesa's harmless GL-probe noise.
fn run(args: &[&str]) -> (bool, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_gpugan"))
        .args(args)
        .output()
        .expect("run gpugan");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = stderr
        .lines()
        .filter(|l| !l.contains("XDG_RUNTIME_DIR"))
        .map(str::to_string)
        .collect();
    (out.status.success(), lines)
}

#[test]
fn bad_training_flags_give_one_line_errors() {
    let cases: [(&[&str], &str); 9] = [
        (&["train", "--lr", "-1"], "--lr"),
        (&["train", "--loss", "nonsense"], "nonsense"),
        (&["train", "--n-critic", "0"], "--n-critic"),
        (&["train", "--loss", "wgan"], "--clip"),
        (&["train", "--data", "toy:moons"], "toy:moons"),
        (&["train", "--beta2", "1.5"], "--beta2"),
        (&["train", "--resume", "/tmp", "--lr", "0.1"], "--lr"),
        (&["train", "--resume", "/nonexistent-run"], "no checkpoints"),
        (
            &["sample", "--checkpoint", "/nonexistent.safetensors"],
            "cannot read",
        ),
    ];
    for (args, mention) in cases {
        let (ok, lines) = run(args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(lines.len(), 1, "{args:?}: expected one line, got {lines:?}");
        assert!(
            lines[0].contains(mention),
            "{args:?}: {:?} should mention {mention}",
            lines[0]
        );
        assert!(!lines[0].contains("panicked"), "{args:?}: {}", lines[0]);
    }
}

#[test]
fn info_lists_the_chosen_adapter() {
    let out = Command::new(env!("CARGO_BIN_EXE_gpugan"))
        .arg("info")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with('*')),
        "no adapter marked in:\n{stdout}"
    );
}

#[test]
fn training_says_what_its_first_step_waits_for() {
    // A fresh machine's driver compiles every kernel during the first step
    // (5-15 s on lavapipe): a line says so before any progress line.
    let dir = std::env::temp_dir().join(format!("gpugan-cli-first-step-{}", std::process::id()));
    let dir_arg = dir.to_str().unwrap();
    let args = [
        "train",
        "--data",
        "toy:8gaussians",
        "--steps",
        "2",
        "--out",
        dir_arg,
    ];
    let (ok, lines) = run(&args);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{lines:?}");
    let notice = lines
        .iter()
        .position(|l| l.starts_with("first step: compiling kernels"));
    let progress = lines
        .iter()
        .position(|l| l.contains("2/2") && l.contains("it/s"));
    assert!(
        matches!((notice, progress), (Some(n), Some(p)) if n < p),
        "{lines:?}"
    );
}
