//! `beiand run`: the daemon.
pub mod schedule;
pub mod shared;

pub use shared::{Live, Shared};
