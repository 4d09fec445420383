//! Decoding a 1,000-record page into the typed models, beside parsing the same bytes into a
//! `serde_json::Value`. Run: `cargo bench --bench decode`.
//!
//! `typed` is what both clients do with a body: `common::reader::decode`, the integral-float
//! pre-pass and then serde_json into the generated types (progenitor's `from_slice`).
//! `prepass` is that pre-pass alone, which borrows when there is nothing to rewrite (the pages
//! here have none, as most real pages).

use std::hint::black_box;

use backup_task_api::common::reader;
use backup_task_api::{cbr, ocp};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

mod common;

use common::{cbr_page, ocp_page};

fn decode(c: &mut Criterion) {
    for (api, bytes) in [("cbr", cbr_page()), ("ocp", ocp_page())] {
        let mut group = c.benchmark_group(format!("decode_{api}_1000"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("typed", |b| {
            b.iter(|| match api {
                "cbr" => drop(black_box(
                    reader::decode::<cbr::ListOpLogsResponse>(black_box(&bytes)).expect("decodes"),
                )),
                _ => drop(black_box(
                    reader::decode::<ocp::LogBackupTaskPageResponse>(black_box(&bytes))
                        .expect("decodes"),
                )),
            })
        });
        group.bench_function("prepass", |b| {
            b.iter(|| black_box(reader::integral_floats_as_integers(black_box(&bytes)).len()))
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| {
                black_box(serde_json::from_slice::<Value>(black_box(&bytes)).expect("parses"))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
