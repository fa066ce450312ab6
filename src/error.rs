//! The library's error type. Messages name the operation, the expected and the
//! found thing, so a user can act without reading the source.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("{0}")]
    NoAdapter(String),

    #[error("could not open the GPU device on adapter '{adapter}': {reason}")]
    Device { adapter: String, reason: String },

    #[error("{op}: shape mismatch: {what}: expected {expected:?}, found {found:?}")]
    Shape {
        op: &'static str,
        what: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error("{op}: {reason}")]
    Invalid { op: &'static str, reason: String },

    #[error("{path}: {reason}")]
    Data { path: String, reason: String },

    #[error("GPU readback failed: {0}")]
    Readback(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `found` equals `expected`, naming both shapes otherwise.
pub fn expect_shape(
    op: &'static str,
    what: &str,
    expected: &[usize],
    found: &[usize],
) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::Shape {
            op,
            what: what.to_string(),
            expected: expected.to_vec(),
            found: found.to_vec(),
        })
    }
}
