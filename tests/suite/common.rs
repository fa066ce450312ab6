//! Shared test helpers: the device, random inputs, NaN-poisoned outputs and
//! the one comparison with named tolerances.

use std::sync::OnceLock;

use gpugan::gpu::kernels::fill;
use gpugan::{AdapterChoice, Gpu, Tensor};

/// Relative error in the norm allowed for f32 kernels against f64 twins.
/// Matmul: K-long f32 dot products against exact sums; rounding grows like
/// ε·√K ≈ 2e-6 at K = 1024 for random signs.
pub const MATMUL_TOL: f64 = 1e-5;
/// One f32 rounding per element (add, mul, ...).
pub const ELEMENTWISE_TOL: f64 = 1e-6;
/// Transcendentals (tanh, exp, log, sin, cos) on the GPU: a few ulp.
pub const TRANSCENDENTAL_TOL: f64 = 1e-5;
/// f32 sums of up to ~1e6 terms in partial sums.
pub const REDUCE_TOL: f64 = 1e-5;

/// The device every test shares (WGPU_BACKEND / WGPU_ADAPTER_NAME honoured).
pub fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        Gpu::new(&AdapterChoice::default()).expect("a GPU adapter (install mesa-vulkan-drivers)")
    })
}

/// Ragged sizes: 1, odd, just past powers of two.
pub const RAGGED: [usize; 6] = [1, 3, 17, 65, 127, 257];

/// splitmix64: a tiny deterministic generator so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    /// Values in ±[0.05, 1]: random signs, never zero.
    pub fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let v = self.uniform(0.05, 1.0);
                if self.next_u64() & 1 == 0 { v } else { -v }
            })
            .collect()
    }
}

pub fn upload(data: &[f32], shape: &[usize]) -> Tensor {
    gpu().upload(data, shape).unwrap()
}

/// An output tensor filled with NaN, so any element a kernel fails to write
/// shows up in the comparison.
pub fn poisoned(shape: &[usize]) -> Tensor {
    let t = gpu().empty(shape).unwrap();
    fill::fill(gpu(), &t, f32::NAN).unwrap();
    t
}

pub fn read(t: &Tensor) -> Vec<f32> {
    gpu().read(t).unwrap()
}

/// Relative error in the norm: ‖got − want‖ / ‖want‖ (absolute when want is 0).
pub fn rel_error(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "length");
    let diff: f64 = got
        .iter()
        .zip(want)
        .map(|(&g, &w)| (f64::from(g) - w).powi(2))
        .sum();
    let norm: f64 = want.iter().map(|w| w * w).sum();
    diff.sqrt() / norm.sqrt().max(1e-30)
}

/// Fails with the case name, the error and the first mismatching element.
#[track_caller]
pub fn assert_close(case: &str, got: &[f32], want: &[f64], tol: f64) {
    if let Some(i) = got.iter().position(|v| !v.is_finite()) {
        panic!(
            "{case}: element {i} is {} (unwritten or overflowed); want {}",
            got[i], want[i]
        );
    }
    let err = rel_error(got, want);
    if err.is_nan() || err > tol {
        let worst = (0..got.len())
            .max_by(|&a, &b| {
                let da = (f64::from(got[a]) - want[a]).abs();
                let db = (f64::from(got[b]) - want[b]).abs();
                da.total_cmp(&db)
            })
            .unwrap();
        panic!(
            "{case}: relative error {err:.3e} > {tol:.1e}; worst element {worst}: got {}, want {}",
            got[worst], want[worst]
        );
    }
}

/// Central finite differences of a scalar function of one variable, in f64.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// An empty scratch folder for one test: `gpugan-<name>-<pid>` under the
/// system's temporary folder (names are unique across the suite).
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gpugan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An IDX images file (magic 0x803) of `n` images of rows × cols bytes,
/// the bytes counting up modulo 251.
pub fn idx_images(n: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0000_0803u32, n, rows, cols] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend((0..n * rows * cols).map(|i| (i % 251) as u8));
    bytes
}
