//! Probes: pure functions of (target, settings) → evidence and findings, one per protocol, with
//! the network I/O kept in [`dns`] and [`http`].

pub mod charset;
pub mod dns;
pub mod http;
pub mod ip;
pub mod page;
pub mod refresh;
pub mod udp_pool;
