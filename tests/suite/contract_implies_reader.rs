//! Whatever the contract accepts, the typed reader reads: a seeded property test over random
//! mutations of every example in both specs. Each mutation stacks one to three edits of the
//! kinds that found the gaps before (an integral float in an integer field, a decimal-string id
//! past `i64::MAX`, a success envelope that says `successful: false`, members removed, nulled,
//! retyped or added, boundary numbers, enum values and timestamps from elsewhere); when the
//! contract calls the result valid, the reader the clients use must decode it.

use backup_task_api::common::reader;
use backup_task_api::contract::{self, Api, Contract, Target};
use backup_task_api::{cbr, ocp};
use serde_json::{Map, Value, json};

/// Mutations per example; with the 13 examples of both specs, 26,000 in all (about 4,000 of
/// them contract-valid).
const PER_EXAMPLE: usize = 2000;

/// Whether the typed reader, as the clients run it on a body with this status, reads `bytes`.
fn reader_reads(api: Api, status: u16, bytes: &[u8]) -> Result<(), String> {
    let text = |e: serde_json::Error| e.to_string();
    match (api, status) {
        (Api::Cbr, 200) => reader::decode::<cbr::ListOpLogsResponse>(bytes)
            .map(drop)
            .map_err(text),
        (Api::Cbr, _) => reader::decode::<cbr::ErrorBody>(bytes)
            .map(drop)
            .map_err(text),
        // The OCP client refuses a success envelope that says `successful: false`.
        (Api::Ocp, 200) => match reader::decode::<ocp::LogBackupTaskPageResponse>(bytes) {
            Ok(page) if page.successful => Ok(()),
            Ok(_) => Err("successful: false on a 200".into()),
            Err(e) => Err(text(e)),
        },
        (Api::Ocp, _) => reader::decode::<ocp::ErrorResponse>(bytes)
            .map(drop)
            .map_err(text),
    }
}

/// Values a mutation may put anywhere: boundaries of the integer formats, integral floats,
/// decimal-string ids inside and outside 64 bits, strings from the specs' vocabularies and the
/// timestamp shapes the services send.
pub(crate) fn pool() -> Vec<Value> {
    let mut values = vec![
        json!(0),
        json!(-1),
        json!(1),
        json!(100),
        json!(1000),
        json!(1001),
        json!(i32::MAX),
        json!(i64::from(i32::MAX) + 1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.0),
        json!(0.0),
        json!(-0.0),
        json!(5.0),
        json!(200.0),
        json!(1.5),
        json!(100.1899),
        json!("9223372036854775807"),
        json!("9223372036854775808"),
        json!("-9223372036854775808"),
        json!("-9223372036854775809"),
        json!("12345678901234567890"),
        json!("007"),
        json!("-0"),
        json!("+5"),
        json!("1e3"),
        json!(""),
        json!("x"),
        json!("2019-05-23T14:35:23.584418"),
        json!("2019-05-23T14:35:23.584+00:00"),
        json!("2020-02-23T01:00:32Z"),
        json!("2021-09-23T14:33:17.357+0800"),
        json!("2024-08-09T08:02:57.715753Z"),
        json!(true),
        json!(false),
        Value::Null,
        json!({}),
        json!([]),
    ];
    for api in Api::ALL {
        let spec = api.spec().expect("spec parses");
        collect_enum_values(spec, &mut values);
    }
    values
}

fn collect_enum_values(node: &Value, out: &mut Vec<Value>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                out.extend(
                    values
                        .iter()
                        .filter(|v| !out.contains(v))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
            map.values().for_each(|v| collect_enum_values(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_enum_values(v, out)),
        _ => {}
    }
}

/// Every property name the specs declare, so that an added member is sometimes a known one
/// somewhere else (`fail_delete_count` on a `vault_delete`, `stackTrace` on an error).
pub(crate) fn property_names() -> Vec<String> {
    let mut names = Vec::new();
    for api in Api::ALL {
        let spec = api.spec().expect("spec parses");
        if let Some(schemas) = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for schema in schemas.values() {
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    names.extend(
                        props
                            .keys()
                            .filter(|k| !names.contains(*k))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
            }
        }
    }
    names.push("undocumentedField".into());
    names
}

/// The JSON pointers of `value` and everything below it.
pub(crate) fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{here}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

/// The parent pointer and last token of `pointer` (`None` for the root).
fn split(pointer: &str) -> Option<(&str, String)> {
    let at = pointer.rfind('/')?;
    let token = pointer[at + 1..].replace("~1", "/").replace("~0", "~");
    Some((&pointer[..at], token))
}

/// One random edit of `doc`.
pub(crate) fn edit(doc: &mut Value, rng: &mut fastrand::Rng, pool: &[Value], names: &[String]) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pointer = all[rng.usize(0..all.len())].clone();
    let Some(node) = doc.pointer_mut(&pointer) else {
        return;
    };
    match rng.u8(0..10) {
        // An integer written as a float of the same value, or a float as an integer.
        0 => {
            if let Some(n) = node.as_i64() {
                *node = json!(n as f64);
            } else if let Some(f) = node.as_f64() {
                *node = json!(f.trunc() as i64);
            } else {
                *node = pool[rng.usize(0..pool.len())].clone();
            }
        }
        // A number as a decimal string, a decimal string as a number.
        1 => {
            if let Value::Number(n) = node {
                *node = Value::String(n.to_string());
            } else if let Some(n) = node.as_str().and_then(|s| s.parse::<i64>().ok()) {
                *node = json!(n);
            } else {
                *node = pool[rng.usize(0..pool.len())].clone();
            }
        }
        2 => *node = Value::Null,
        3 => {
            if let Some(b) = node.as_bool() {
                *node = json!(!b);
            } else {
                *node = pool[rng.usize(0..pool.len())].clone();
            }
        }
        // A member gone.
        4 => {
            if let Some((parent, token)) = split(&pointer)
                && let Some(Value::Object(map)) = doc.pointer_mut(parent)
            {
                map.remove(&token);
            }
        }
        // A member added to an object: a name the specs know somewhere, a value from the pool.
        5 => {
            if let Value::Object(map) = node {
                let name = names[rng.usize(0..names.len())].clone();
                map.insert(name, pool[rng.usize(0..pool.len())].clone());
            } else {
                *node = pool[rng.usize(0..pool.len())].clone();
            }
        }
        // Arrays: an element repeated, one removed, all removed.
        6 => match node {
            Value::Array(items) if !items.is_empty() => match rng.u8(0..3) {
                0 => {
                    let copy = items[rng.usize(0..items.len())].clone();
                    items.push(copy);
                }
                1 => {
                    items.remove(rng.usize(0..items.len()));
                }
                _ => items.clear(),
            },
            _ => *node = json!([]),
        },
        // An object emptied, or a value of another type.
        7 => {
            *node = match node {
                Value::Object(_) => Value::Object(Map::new()),
                _ => [json!({}), json!([]), json!("s"), json!(0), json!(true)][rng.usize(0..5)]
                    .clone(),
            }
        }
        _ => *node = pool[rng.usize(0..pool.len())].clone(),
    }
}

#[derive(Debug, Default)]
struct Tally {
    mutations: usize,
    valid: usize,
    failures: Vec<String>,
}

fn run(seed: u64, per_example: usize) -> Tally {
    let pool = pool();
    let names = property_names();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    for api in Api::ALL {
        let contract = Contract::get(api).expect("contract compiles");
        for example in contract::examples(api).expect("spec parses") {
            let target = Target::Response {
                status: example.status,
            };
            for _ in 0..per_example {
                let mut doc = example.value.clone();
                for _ in 0..rng.usize(1..=3) {
                    edit(&mut doc, &mut rng, &pool, &names);
                }
                tally.mutations += 1;
                let bytes = serde_json::to_vec(&doc).expect("serialise");
                if !contract.is_valid(&target, &doc).expect("target exists") {
                    continue;
                }
                tally.valid += 1;
                if let Err(why) = reader_reads(api, example.status, &bytes) {
                    tally.failures.push(format!(
                        "{api} {} {}: {why}\n  {}",
                        example.status,
                        example.name,
                        String::from_utf8_lossy(&bytes)
                    ));
                }
            }
        }
    }
    tally
}

#[test]
fn every_contract_valid_mutation_of_every_example_is_read_by_the_typed_reader() {
    let tally = run(11, PER_EXAMPLE);
    println!(
        "{} mutations, {} contract-valid, {} the reader failed",
        tally.mutations,
        tally.valid,
        tally.failures.len()
    );
    for failure in tally.failures.iter().take(40) {
        println!("{failure}");
    }
    assert!(tally.mutations >= 10_000, "{}", tally.mutations);
    // The edits must keep reaching valid documents, or the property is tested on nothing.
    assert!(tally.valid >= 3_000, "only {} contract-valid", tally.valid);
    assert!(
        tally.failures.is_empty(),
        "{} contract-valid mutations the reader fails, such as:\n{}",
        tally.failures.len(),
        tally.failures[..tally.failures.len().min(5)].join("\n")
    );
}

/// The mutations are a function of the seed, so a failure found once is found again.
#[test]
fn the_mutations_are_seeded() {
    let (a, b) = (run(3, 5), run(3, 5));
    assert_eq!((a.mutations, a.valid), (b.mutations, b.valid));
}
