//! `demo`: the printed face of [`backup_task_api::demo`], which does the work (a library
//! function, so that the suite can run the same scenario without a process).

use std::io::{self, Write as _};
use std::process::ExitCode;

use backup_task_api::common::terminal::Escaped;
use backup_task_api::demo;

use super::exit;

/// Run the one-command demo: a mock of both APIs in-process, both typed clients paging through
/// it, every page checked against the contract. Exit 0 when every record came exactly once
/// and no page broke the contract, 1 otherwise.
#[derive(clap::Args)]
pub struct Args {
    /// Synthetic records per API in the mock.
    #[arg(long, default_value_t = 2500)]
    records: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Records per page.
    #[arg(long, default_value_t = 100)]
    page_size: u32,
}

/// Runs `demo`: the library's demo run ([`demo::run`]), printed as a table.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.page_size == 0 {
        anyhow::bail!("--page-size must be at least 1");
    }
    let report = super::runtime()?.block_on(demo::run(args.records, args.seed, args.page_size))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "mock server: {} ({} synthetic records per API, seed {})",
        report.mock_url, args.records, args.seed
    )?;
    writeln!(
        out,
        "{:<4} {:>6} {:>8} {:>9} {:>11} {:>9}",
        "api", "pages", "records", "expected", "violations", "time"
    )?;
    for api in &report.apis {
        writeln!(
            out,
            "{:<4} {:>6} {:>8} {:>9} {:>11} {:>7}ms",
            api.api,
            api.pages,
            api.records,
            api.expected,
            api.violations.len(),
            api.elapsed.as_millis()
        )?;
        for (page, v) in api.violations.iter().take(20) {
            let pointer = if v.pointer.is_empty() {
                "(root)"
            } else {
                &v.pointer
            };
            // The pointer and message quote the payload, which came from a server.
            writeln!(
                out,
                "  page {page}: {}: {}",
                Escaped(pointer),
                Escaped(&v.message)
            )?;
        }
        if api.distinct != api.records {
            writeln!(out, "  {} records repeated", api.records - api.distinct)?;
        }
    }
    let violations: usize = report.apis.iter().map(|a| a.violations.len()).sum();
    writeln!(
        out,
        "total: {} ms, {violations} contract violation(s), {}",
        report.elapsed.as_millis(),
        if report.is_clean() {
            "every record exactly once"
        } else {
            "NOT CLEAN"
        }
    )?;
    Ok(exit::verdict(report.is_clean()))
}
