//! Training: configuration, losses and the gradient penalty, the D/G
//! schedule, run outputs and the toy mode-coverage metric.

pub mod checkpoint;
pub mod config;
mod config_toml;
pub mod coverage;
pub mod generate;
pub mod loss;
pub mod plot;
pub mod run;
pub mod trainer;

pub use config::{CondCritic, DataSpec, LrDecay, ModelKind, OptKind, TrainConfig};
pub use trainer::{Metrics, Trainer};
