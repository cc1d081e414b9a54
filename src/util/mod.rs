//! Small pieces shared by every stage: randomness, hashing, files, names.

pub mod fsx;
pub mod hash;
pub mod memory;
pub mod rng;
pub mod suggest;
