//! Twin of `random.wgsl`: Philox4x32-10 with 64-bit products.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

fn mul_hi_lo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (counter, key);
    for _ in 0..10 {
        let (hi0, lo0) = mul_hi_lo(M0, c[0]);
        let (hi1, lo1) = mul_hi_lo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
    }
    c
}

fn block(seed: u64, stream: u64, j: u32) -> [f64; 4] {
    let r = philox4x32_10(
        [j, 0, stream as u32, (stream >> 32) as u32],
        [seed as u32, (seed >> 32) as u32],
    );
    r.map(|w| (f64::from(w >> 8) + 0.5) / 16_777_216.0)
}

pub fn uniform(n: usize, seed: u64, stream: u64, lo: f64, hi: f64) -> Vec<f64> {
    (0..n.div_ceil(4) as u32)
        .flat_map(|j| block(seed, stream, j))
        .take(n)
        .map(|u| lo + (hi - lo) * u)
        .collect()
}

pub fn normal(n: usize, seed: u64, stream: u64, mean: f64, std: f64) -> Vec<f64> {
    use std::f64::consts::TAU;
    (0..n.div_ceil(4) as u32)
        .flat_map(|j| {
            let u = block(seed, stream, j);
            let r01 = (-2.0 * u[0].ln()).sqrt();
            let r23 = (-2.0 * u[2].ln()).sqrt();
            [
                r01 * (TAU * u[1]).cos(),
                r01 * (TAU * u[1]).sin(),
                r23 * (TAU * u[3]).cos(),
                r23 * (TAU * u[3]).sin(),
            ]
        })
        .take(n)
        .map(|z| mean + std * z)
        .collect()
}
