//! Profiles (`gpugan bench --profile` and `--profile-first`): kernels named
//! with their override constants, and each one's first launch apart.

use gpugan::AdapterChoice;
use gpugan::bench::{Workload, first_iteration_profile};
use gpugan::gpu::KernelTime;

#[test]
fn a_kernels_first_launch_is_kept_apart() {
    let mut time = KernelTime::default();
    for seconds in [3.0, 1.0, 1.0] {
        time.record(seconds);
    }
    assert_eq!((time.seconds, time.launches, time.first), (5.0, 3, 3.0));
}

#[test]
fn first_iteration_profile_times_every_kernels_first_launch() {
    let (profile, seconds) =
        first_iteration_profile(&AdapterChoice::default(), Workload::W1).unwrap();
    let report = profile.report();
    let total: f64 = profile.kernels.values().map(|t| t.seconds).sum();
    assert!(
        total > 0.0 && total <= seconds,
        "{total} s of kernels in {seconds} s\n{report}"
    );
    for (name, t) in &profile.kernels {
        assert!(t.launches >= 1, "{name}");
        assert!(t.first > 0.0 && t.first <= t.seconds, "{name}: {t:?}");
        assert!(
            report.contains(name.as_str()),
            "{name} missing from\n{report}"
        );
    }
    // W1: one RMSprop dispatch per critic step (5) and one for G, all of
    // one pipeline; and the thin products' split-K kernel, whose variants
    // are named by their constants.
    let rmsprop: Vec<_> = profile
        .kernels
        .iter()
        .filter(|(n, _)| n.starts_with("rmsprop_step"))
        .collect();
    assert_eq!(rmsprop.len(), 1, "{report}");
    assert_eq!(rmsprop[0].1.launches, 6, "{report}");
    assert!(
        profile
            .kernels
            .keys()
            .any(|n| n.starts_with("matmul_split_partial TRANS_A=")),
        "constants in names:\n{report}"
    );
}
