//! Toy data: the sampling kernel against its twin, and the mode-coverage
//! metric on real samples (which must cover everything).

use gpugan::gpu::kernels::random::RandomKey;
use gpugan::gpu::kernels::toy::{ToyKind, toy_batch, toy_sample_into};
use gpugan::train::coverage::mode_coverage;

use crate::common::{RAGGED, Rng, TRANSCENDENTAL_TOL, assert_close, gpu, poisoned, read, upload};
use crate::reference::toy as twin;

const KINDS: [ToyKind; 3] = [
    ToyKind::EightGaussians,
    ToyKind::TwentyFiveGaussians,
    ToyKind::SwissRoll,
];

#[test]
fn toy_sample_matches_twin() {
    let mut rng = Rng::new(90);
    for kind in KINDS {
        for n in RAGGED {
            let u: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
            let noise = rng.vec(2 * n);
            let out = poisoned(&[n, 2]);
            toy_sample_into(
                gpu(),
                kind,
                &upload(&u, &[n]),
                &upload(&noise, &[n, 2]),
                &out,
            )
            .unwrap();
            assert_close(
                &format!("{kind:?} n={n}"),
                &read(&out),
                &twin::toy_sample(kind, &u, &noise),
                TRANSCENDENTAL_TOL,
            );
        }
    }
}

#[test]
fn real_samples_cover_every_mode_with_high_quality() {
    for kind in [ToyKind::EightGaussians, ToyKind::TwentyFiveGaussians] {
        let points = read(&toy_batch(gpu(), kind, 4000, RandomKey { seed: 1, stream: 2 }).unwrap());
        let c = mode_coverage(kind, &points).unwrap();
        assert_eq!(c.modes_covered, c.modes, "{kind:?}: {c:?}");
        // Within 3σ of a 2-D gaussian's centre: 1 − e^{−9/2} ≈ 98.9% of samples.
        assert!(c.high_quality > 0.98, "{kind:?}: {c:?}");
    }
    assert!(mode_coverage(ToyKind::SwissRoll, &[0.0, 0.0]).is_none());
}

#[test]
fn coverage_counts_missing_modes_and_spread_samples() {
    // Everything on one mode: 1 of 8 covered, all high quality.
    let one_mode: Vec<f32> = (0..100).flat_map(|_| [2.0 / 2f32.sqrt(), 0.0]).collect();
    let c = mode_coverage(ToyKind::EightGaussians, &one_mode).unwrap();
    assert_eq!((c.modes_covered, c.high_quality), (1, 1.0));
    // Everything at the origin, far from every mode: nothing covered.
    let c = mode_coverage(ToyKind::EightGaussians, &[0.0; 200]).unwrap();
    assert_eq!((c.modes_covered, c.high_quality), (0, 0.0));
}
