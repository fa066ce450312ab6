//! Training: losses, the gradient penalty, the D/G schedule, run outputs.

pub mod loss;
