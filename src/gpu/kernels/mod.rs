//! One launcher per entry point: shape checks, params, dispatch sizing.
//! `*_into` forms write into a caller's tensor (tests poison it with NaN
//! first); the plain forms allocate the output from the pool.

pub mod conv;
pub mod data;
pub mod elementwise;
pub mod fill;
pub mod matmul;
pub mod norm;
pub mod optim;
pub mod penalty;
pub mod random;
pub mod reduce;
pub mod toy;

/// Elementwise launches: invocations per workgroup.
const WORKGROUP_1D: u32 = 256;

/// Element counts and offsets travel as u32 in kernel params.
fn as_u32(op: &'static str, what: &str, n: usize) -> crate::Result<u32> {
    u32::try_from(n).map_err(|_| crate::Error::Invalid {
        op,
        reason: format!("{what} = {n} exceeds the 32-bit range of the kernels"),
    })
}
