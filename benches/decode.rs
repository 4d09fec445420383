//! Decoding a 1,000-record page into the typed models, beside parsing the same bytes into a
//! `serde_json::Value`. Run: `cargo bench --bench decode`.
//!
//! `typed` is what both clients do with a body: `common::reader::decode`, the integral-float
//! pre-pass and then serde_json into the generated types (progenitor's `from_slice`).
//! `prepass` is that pre-pass alone, which borrows when there is nothing to rewrite (the pages
//! here have none, as most real pages).
//!
//! On a shared machine wall-clock figures are noisy; instruction counts are not. With
//! `DECODE_COUNT=<cbr|ocp>:<typed|prepass|serde_json_value>:<n>` the binary runs that case `n`
//! times and exits, for `valgrind --tool=callgrind`: the difference between two counts (say 1
//! and 11) over the difference in `n` is the instructions of one decode, setup excluded.

use std::hint::black_box;

use backup_task_api::common::reader;
use backup_task_api::{cbr, ocp};
use criterion::{Criterion, Throughput, criterion_group};
use serde_json::Value;

mod common;

use common::{cbr_page, ocp_page};

/// One run of `case` on the `api` page.
fn run(api: &str, case: &str, bytes: &[u8]) {
    match (api, case) {
        ("cbr", "typed") => drop(black_box(
            reader::decode::<cbr::ListOpLogsResponse>(black_box(bytes)).expect("decodes"),
        )),
        (_, "typed") => drop(black_box(
            reader::decode::<ocp::LogBackupTaskPageResponse>(black_box(bytes)).expect("decodes"),
        )),
        (_, "prepass") => {
            black_box(reader::integral_floats_as_integers(black_box(bytes)).len());
        }
        (_, "serde_json_value") => drop(black_box(
            serde_json::from_slice::<Value>(black_box(bytes)).expect("parses"),
        )),
        _ => panic!("no case {case:?}"),
    }
}

fn decode(c: &mut Criterion) {
    for (api, bytes) in [("cbr", cbr_page()), ("ocp", ocp_page())] {
        let mut group = c.benchmark_group(format!("decode_{api}_1000"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        for case in ["typed", "prepass", "serde_json_value"] {
            group.bench_function(case, |b| b.iter(|| run(api, case, &bytes)));
        }
        group.finish();
    }
}

criterion_group!(benches, decode);

fn main() {
    // The counting mode (see the top of the file), else criterion as `criterion_main!` runs it.
    if let Ok(spec) = std::env::var("DECODE_COUNT") {
        let parts: Vec<&str> = spec.split(':').collect();
        let [api, case, n] = parts[..] else {
            panic!("DECODE_COUNT is <api>:<case>:<n>, not {spec:?}");
        };
        let n: usize = n.parse().expect("DECODE_COUNT's n is a count");
        let bytes = match api {
            "cbr" => cbr_page(),
            "ocp" => ocp_page(),
            _ => panic!("DECODE_COUNT's api is cbr or ocp, not {api:?}"),
        };
        for _ in 0..n {
            run(api, case, &bytes);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
