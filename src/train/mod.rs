//! Training: configuration, losses and the gradient penalty, the D/G
//! schedule, run outputs and the toy mode-coverage metric.

pub mod config;
pub mod coverage;
pub mod loss;
pub mod plot;
pub mod run;
pub mod trainer;

pub use config::{DataSpec, LrDecay, OptKind, TrainConfig};
pub use trainer::{Metrics, Trainer};
