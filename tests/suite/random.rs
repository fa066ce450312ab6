//! Philox random numbers: equal to the twin, deterministic, independent
//! across streams and seeds, and distributed as asked (moments and a
//! Kolmogorov–Smirnov test).

use gpugan::gpu::kernels::random::{RandomKey, normal, normal_into, uniform, uniform_into};

use crate::common::{RAGGED, TRANSCENDENTAL_TOL, assert_close, gpu, poisoned, read};
use crate::reference::random as twin;

const N: usize = 200_003;

fn key(seed: u64, stream: u64) -> RandomKey {
    RandomKey { seed, stream }
}

#[test]
fn uniform_equals_twin_bit_for_bit() {
    for n in RAGGED.into_iter().chain([N]) {
        let k = key(0x1234_5678_9ABC_DEF0, 7 << 33);
        let out = poisoned(&[n]);
        uniform_into(gpu(), k, 0.0, 1.0, &out).unwrap();
        let want = twin::uniform(n, k.seed, k.stream, 0.0, 1.0);
        let got = read(&out);
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w as f32, "uniform element {i} of {n}");
        }
        // And with a range: one rounding of lo + (hi − lo)·u.
        let out = poisoned(&[n]);
        uniform_into(gpu(), k, -3.0, 5.0, &out).unwrap();
        assert_close(
            "uniform(-3, 5)",
            &read(&out),
            &twin::uniform(n, k.seed, k.stream, -3.0, 5.0),
            1e-6,
        );
    }
}

#[test]
fn normal_matches_twin() {
    for n in RAGGED.into_iter().chain([N]) {
        let k = key(42, 3);
        let out = poisoned(&[n]);
        normal_into(gpu(), k, 0.5, 2.0, &out).unwrap();
        assert_close(
            &format!("normal n={n}"),
            &read(&out),
            &twin::normal(n, 42, 3, 0.5, 2.0),
            TRANSCENDENTAL_TOL,
        );
    }
}

#[test]
fn deterministic_for_a_key() {
    let a = read(&normal(gpu(), &[N], key(9, 1), 0.0, 1.0).unwrap());
    let b = read(&normal(gpu(), &[N], key(9, 1), 0.0, 1.0).unwrap());
    assert_eq!(a, b);
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - ma) * (f64::from(y) - mb))
        .sum();
    let va: f64 = a.iter().map(|&x| (f64::from(x) - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|&y| (f64::from(y) - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn streams_and_seeds_are_independent() {
    let draw = |seed, stream| read(&uniform(gpu(), &[N], key(seed, stream), 0.0, 1.0).unwrap());
    let base = draw(5, 0);
    // Neighbouring streams, a high stream word, neighbouring seeds.
    for (seed, stream) in [(5, 1), (5, 1 << 32), (6, 0), (5 | 1 << 40, 0)] {
        let other = draw(seed, stream);
        assert_ne!(
            base, other,
            "seed {seed} stream {stream} repeats the base draw"
        );
        let r = correlation(&base, &other);
        // |r| of independent draws is about 1/√N; 5/√N fails once in millions.
        assert!(
            r.abs() < 5.0 / (N as f64).sqrt(),
            "seed {seed} stream {stream}: correlation {r}"
        );
    }
    // Neighbouring elements within a draw are uncorrelated too.
    let r = correlation(&base[..N - 1], &base[1..]);
    assert!(r.abs() < 5.0 / (N as f64).sqrt(), "lag-1 correlation {r}");
}

/// Kolmogorov–Smirnov statistic of the sample against `cdf`.
fn ks_statistic(mut sample: Vec<f32>, cdf: impl Fn(f64) -> f64) -> f64 {
    sample.sort_by(f32::total_cmp);
    let n = sample.len() as f64;
    sample
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(f64::from(x));
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// Φ(x) via erfc with Numerical Recipes' Chebyshev fit (|error| < 1.2e-7).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// KS critical value at the 0.1% level: 1.95/√n.
fn ks_critical(n: usize) -> f64 {
    1.95 / (n as f64).sqrt()
}

#[test]
fn uniform_distribution() {
    let u = read(&uniform(gpu(), &[N], key(77, 0), 0.0, 1.0).unwrap());
    assert!(
        u.iter().all(|&v| v > 0.0 && v < 1.0),
        "uniform draws must lie in (0, 1)"
    );
    let mean = u.iter().map(|&v| f64::from(v)).sum::<f64>() / N as f64;
    let var = u
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / N as f64;
    // Standard errors: √(1/12/N) ≈ 6.5e-4 for the mean, ≈ 2e-4 for the variance.
    assert!((mean - 0.5).abs() < 5.0 * 6.5e-4, "mean {mean}");
    assert!((var - 1.0 / 12.0).abs() < 5.0 * 2e-4, "variance {var}");
    let d = ks_statistic(u, |x| x.clamp(0.0, 1.0));
    assert!(d < ks_critical(N), "KS statistic {d} against U(0,1)");
}

#[test]
fn normal_distribution() {
    let z = read(&normal(gpu(), &[N], key(78, 0), 0.0, 1.0).unwrap());
    let mean = z.iter().map(|&v| f64::from(v)).sum::<f64>() / N as f64;
    let var = z
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / N as f64;
    // Standard errors: 1/√N ≈ 2.2e-3 for the mean, √(2/N) ≈ 3.2e-3 for the variance.
    assert!(mean.abs() < 5.0 * 2.2e-3, "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * 3.2e-3, "variance {var}");
    let d = ks_statistic(z, normal_cdf);
    assert!(d < ks_critical(N), "KS statistic {d} against N(0,1)");
}
