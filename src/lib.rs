//! beiand: continuous verification of ICP filings (备案) for a hosting provider.
//!
//! The crate is split the way the work flows: [`config`] and [`store`] are the ground;
//! [`import`] brings filings in; [`netclass`] tells what an address is; the probes in [`check`]
//! turn a target into evidence and findings; [`scan`] runs them over filings and records the results.

pub mod api;
pub mod check;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod filing;
pub mod finding;
pub mod import;
pub mod logging;
pub mod metrics;
pub mod netclass;
pub mod scan;
pub mod number;
pub mod ratelimit;
pub mod store;
pub mod ticket;
pub mod report;
