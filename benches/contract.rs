//! The contract check of a 1,000-record page per API: parse + validate through the library's hot
//! path (`Contract::check_bytes`), its simd-json tape parse (`parse_fast`), and for comparison the
//! `serde_json::Value` parse and `Value` validation it no longer needs for a valid payload; and
//! `check_bytes` of a 20 MB CBR page (`contract_cbr_large`). Run: `cargo bench --bench contract`;
//! `benches/compare_ajv.sh` runs it beside ajv on the same bytes.
//!
//! With `CONTRACT_BENCH_PAGES=DIR` the pages are also written to `DIR/{cbr,ocp}_1000.json`, so
//! another tool can check exactly these bytes.
//!
//! On a shared machine wall-clock figures are noisy; instruction counts are not. With
//! `CONTRACT_COUNT=<cbr|ocp>:<n>` the binary runs `check_bytes` of that page `n` times and exits,
//! for `valgrind --tool=callgrind --toggle-collect='*Contract*check_bytes*'`: the difference
//! between two counts (say `n` = 1 and 21) over the difference in `n` is one check, the first
//! call's one-time compilation excluded.

use std::hint::black_box;

use backup_task_api::contract::{self, Api, Contract, Target, Verdict};
use criterion::{Criterion, Throughput, criterion_group};

mod common;

use common::{cbr_page, ocp_page};

fn check(c: &mut Criterion) {
    let target = Target::Response { status: 200 };
    let out = std::env::var_os("CONTRACT_BENCH_PAGES");
    for (api, bytes) in [(Api::Cbr, cbr_page()), (Api::Ocp, ocp_page())] {
        let contract = Contract::get(api).expect("the contract compiles");
        // A benchmark of the fast path must not be measuring a page that fails.
        let verdict = contract.check_bytes(&target, &bytes).expect("target");
        assert_eq!(verdict, Verdict::Valid, "the {api} page is valid");
        if let Some(dir) = &out {
            std::fs::write(
                std::path::Path::new(dir).join(format!("{api}_1000.json")),
                &bytes,
            )
            .expect("write the page");
        }
        let mut group = c.benchmark_group(format!("contract_{api}_1000"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("check_bytes", |b| {
            b.iter(|| {
                contract
                    .check_bytes(&target, black_box(&bytes))
                    .expect("target")
            })
        });
        group.bench_function("parse", |b| {
            b.iter(|| contract::parse_json(black_box(&bytes)).expect("parses"))
        });
        group.bench_function("parse_fast", |b| {
            b.iter(|| contract::tape::with_document(black_box(&bytes), |d| d.is_some()))
        });
        let value = contract::parse_json(&bytes).expect("parses");
        group.bench_function("is_valid", |b| {
            b.iter(|| {
                contract
                    .is_valid(&target, black_box(&value))
                    .expect("target")
            })
        });
        group.finish();
    }
    large(c);
}

/// A CBR page of 20 MB (the 1,000-record page's records, repeated): checked a batch of records
/// at a time (`contract::large`), where it used to be one tape of the whole document.
fn large(c: &mut Criterion) {
    let target = Target::Response { status: 200 };
    let mut page: serde_json::Value = serde_json::from_slice(&cbr_page()).expect("the page");
    let logs = page["operation_logs"].as_array().expect("records").clone();
    let repeated: Vec<serde_json::Value> =
        logs.iter().cycle().take(25 * logs.len()).cloned().collect();
    page["count"] = repeated.len().into();
    page["operation_logs"] = repeated.into();
    let bytes = serde_json::to_vec(&page).expect("serialise");
    assert!(bytes.len() >= contract::large::LARGE_BYTES);
    let contract = Contract::get(Api::Cbr).expect("the contract compiles");
    let verdict = contract.check_bytes(&target, &bytes).expect("target");
    assert_eq!(verdict, Verdict::Valid, "the large page is valid");
    let mut group = c.benchmark_group("contract_cbr_large");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("check_bytes", |b| {
        b.iter(|| {
            contract
                .check_bytes(&target, black_box(&bytes))
                .expect("target")
        })
    });
    group.finish();
}

criterion_group!(benches, check);

fn main() {
    // The counting mode (see the top of the file), else criterion as `criterion_main!` runs it.
    if let Ok(spec) = std::env::var("CONTRACT_COUNT") {
        let (api, n) = spec
            .split_once(':')
            .unwrap_or_else(|| panic!("CONTRACT_COUNT is <api>:<n>, not {spec:?}"));
        let n: usize = n.parse().expect("CONTRACT_COUNT's n is a count");
        let (api, bytes) = match api {
            "cbr" => (Api::Cbr, cbr_page()),
            "ocp" => (Api::Ocp, ocp_page()),
            _ => panic!("CONTRACT_COUNT's api is cbr or ocp, not {api:?}"),
        };
        let contract = Contract::get(api).expect("the contract compiles");
        let target = Target::Response { status: 200 };
        for _ in 0..n {
            let verdict = contract
                .check_bytes(&target, black_box(&bytes))
                .expect("target");
            assert_eq!(verdict, Verdict::Valid);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
