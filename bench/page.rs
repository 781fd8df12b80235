//! Page-analysis benchmark: analyses the scan bench's ~40 KB homepage against its filing, over and
//! over, and prints the time per page (the best of five rounds).
//!
//!     cargo run --release --example page-bench -- [PAGES_PER_ROUND]
//!
//! Times on a shared machine drift by ±20 %; for an A/B comparison count instructions, which do
//! not: `valgrind --tool=cachegrind --cache-sim=no target/release/examples/page-bench 100` runs
//! one analysis to warm up and then 5 × 100, so its `I refs` / 501 is the instructions per page
//! (page generation and regex compilation add about 1 %; 1.23 M instructions on 2026-12-01).

use beiand::check::page::{analyse, PageExpect};
use std::hint::black_box;
use std::time::Instant;

mod homepage;

fn main() -> anyhow::Result<()> {
    let pages: usize = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|_| anyhow::anyhow!("PAGES_PER_ROUND must be a number, not {a:?}"))?,
        None => 2000,
    };
    let html = homepage::page();
    let expect = PageExpect {
        site_number: Some(format!("{}-1", homepage::SUBJECT)),
        site_name: Some(homepage::SITE_NAME.to_string()),
        psb_number: Some(homepage::PSB.to_string()),
    };
    let report = analyse(&html, &expect);
    anyhow::ensure!(report.findings.is_empty(), "the bench page should be compliant: {:?}", report.findings);
    let best = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..pages {
                black_box(analyse(black_box(&html), &expect));
            }
            t.elapsed().as_secs_f64() / pages.max(1) as f64
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "page analysis     {:.1} µs per page ({} bytes, {} tags; best of 5 rounds of {pages})",
        best * 1e6,
        html.len(),
        html.matches('<').count()
    );
    Ok(())
}
