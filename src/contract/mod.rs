//! The contract: the two OpenAPI specs as compiled JSON Schema 2020-12 validators.
//!
//! Validation works on JSON values and never needs the typed models. Every violation is reported,
//! each with the JSON pointer of the failing value, the failing keyword and a readable message.
//!
//! ```
//! use backup_task_api::contract::{Api, Contract, Target};
//!
//! let contract = Contract::get(Api::Cbr)?;
//! let page = serde_json::json!({"count": 0, "operation_logs": [], "limit": 0});
//! let violations = contract.validate(&Target::Response { status: 200 }, &page)?;
//! assert_eq!(violations[0].pointer, "/limit");
//! assert_eq!(violations[0].keyword, "minimum");
//! # Ok::<(), backup_task_api::contract::ContractError>(())
//! ```

// The batch validator drives the `validate` command (rayon, JUnit output, temp files): `cli`.
#[cfg(feature = "cli")]
pub mod batch;
pub mod convert;
#[cfg(feature = "cli")]
pub mod drift;
pub mod exchange;
pub mod fastcheck;
pub mod impact;
pub mod large;
pub mod pattern;
pub mod redact;
pub mod repeated;
pub mod tape;
pub mod traffic;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::{Map, Value, json};

pub use impact::{FailOn, Impact};

/// JSON Schema dialect of every converted schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One of the two APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// CBR `ListOpLogs`.
    Cbr,
    /// OCP log backup tasks of a tenant.
    Ocp,
}

impl Api {
    /// Both APIs.
    pub const ALL: [Api; 2] = [Api::Cbr, Api::Ocp];

    /// Short name, as the CLI takes it.
    pub fn name(self) -> &'static str {
        match self {
            Api::Cbr => "cbr",
            Api::Ocp => "ocp",
        }
    }

    /// The spec's path in this repository.
    pub fn spec_path(self) -> &'static str {
        match self {
            Api::Cbr => "openapi/cbr-operation-logs.yaml",
            Api::Ocp => "openapi/ocp-log-backup-tasks.yaml",
        }
    }

    /// The spec's YAML text, as compiled into this crate.
    pub fn spec_yaml(self) -> &'static str {
        match self {
            Api::Cbr => include_str!("../../openapi/cbr-operation-logs.yaml"),
            Api::Ocp => include_str!("../../openapi/ocp-log-backup-tasks.yaml"),
        }
    }

    /// The spec as JSON, parsed once.
    pub fn spec(self) -> Result<&'static Value, ContractError> {
        static SPECS: [OnceLock<Result<Value, SpecSource>>; 2] = [OnceLock::new(), OnceLock::new()];
        SPECS[self as usize]
            .get_or_init(|| crate::yaml::from_str(self.spec_yaml()).map_err(|e| Arc::new(e) as _))
            .as_ref()
            .map_err(|source| ContractError::Spec {
                api: self,
                source: source.clone(),
            })
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Api {
    type Err = ContractError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cbr" => Ok(Api::Cbr),
            "ocp" => Ok(Api::Ocp),
            other => Err(ContractError::UnknownApi(other.to_owned())),
        }
    }
}

/// What a payload is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The body of the API's one operation for this HTTP status.
    Response {
        /// HTTP status code.
        status: u16,
    },
    /// One named component schema, such as `OperationLog`.
    Schema(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Response { status } => write!(f, "response {status}"),
            Target::Schema(name) => write!(f, "schema {name}"),
        }
    }
}

/// One way a payload breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the failing value; `""` is the whole document.
    pub pointer: String,
    /// The JSON Schema keyword that failed, such as `required` or `enum`; `duplicateKey` for a
    /// member name repeated in one object ([`repeated`]).
    pub keyword: String,
    /// A readable message; long values in it are cut and credentials redacted
    /// ([`redact`]).
    pub message: String,
    /// Where in the converted schema the keyword sits (JSON pointer into the schema document);
    /// empty for `duplicateKey`, which holds whatever the schema says.
    pub schema_path: String,
    /// Whether it breaks readers of the published types or is drift a tolerant reader survives
    /// ([`impact`]).
    pub impact: Impact,
}

/// Why a spec failed, kept once and shared by every caller that asks again.
pub type SpecSource = Arc<dyn std::error::Error + Send + Sync>;

/// What stops a check from running at all (as opposed to a payload that fails it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// The compiled-in spec did not parse (or, cached, did not compile).
    #[error("the {api} spec does not parse")]
    Spec {
        /// Which spec.
        api: Api,
        /// The parser's error (shared: the failure is cached, so every caller gets it).
        #[source]
        source: SpecSource,
    },
    /// A schema did not compile.
    #[error("the {api} schema for {target} does not compile: {why}")]
    Compile {
        /// Which spec.
        api: Api,
        /// Which schema.
        target: Target,
        /// The compiler's message.
        why: String,
    },
    /// The spec has no such response or component.
    #[error("the {api} spec has no {target}; known: {known}")]
    UnknownTarget {
        /// Which spec.
        api: Api,
        /// What was asked for.
        target: Target,
        /// What exists, comma-separated.
        known: String,
    },
    /// Not `cbr` or `ocp`.
    #[error("unknown API {0:?}: expected cbr or ocp")]
    UnknownApi(String),
}

/// A documented example payload, found by walking a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Which API.
    pub api: Api,
    /// The operation's `operationId`.
    pub operation_id: String,
    /// The response status it is an example of.
    pub status: u16,
    /// The example's key under `examples`.
    pub name: String,
    /// The payload.
    pub value: Value,
}

/// Every example of every response of `api`'s spec, in document order.
pub fn examples(api: Api) -> Result<Vec<Example>, ContractError> {
    let mut found = Vec::new();
    for (operation_id, status, media) in responses(api)? {
        if let Some(examples) = media.get("examples").and_then(Value::as_object) {
            for (name, example) in examples {
                found.push(Example {
                    api,
                    operation_id: operation_id.clone(),
                    status,
                    name: name.clone(),
                    value: example.get("value").cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
    Ok(found)
}

/// `(operationId, status)` of every documented response with a JSON body.
pub fn documented_responses(api: Api) -> Result<Vec<(String, u16)>, ContractError> {
    Ok(responses(api)?
        .into_iter()
        .map(|(op, status, _)| (op, status))
        .collect())
}

/// `(operationId, status, application/json media object)` for every response of the spec.
fn responses(api: Api) -> Result<Vec<(String, u16, &'static Value)>, ContractError> {
    let spec = api.spec()?;
    let mut out = Vec::new();
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (_, item) in paths {
        let operations = item.as_object().into_iter().flatten();
        for (_, operation) in operations {
            let Some(operation_id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let codes = operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten();
            for (code, response) in codes {
                let Ok(status) = code.parse::<u16>() else {
                    continue;
                };
                if let Some(media) = response.pointer("/content/application~1json") {
                    out.push((operation_id.to_owned(), status, media));
                }
            }
        }
    }
    Ok(out)
}

/// A standalone JSON Schema 2020-12 document for `target`: the root schema plus, under `$defs`,
/// every component it reaches. `id` becomes `$id` when given.
pub fn schema_document(
    api: Api,
    target: &Target,
    id: Option<&str>,
) -> Result<Value, ContractError> {
    let spec = api.spec()?;
    let defs = convert::components_to_defs(spec);
    let root = match target {
        Target::Schema(name) => match defs.get(name) {
            Some(_) => json!({"$ref": format!("{}{name}", convert::DEFS_PREFIX)}),
            None => return Err(unknown(api, target, defs.keys().cloned())),
        },
        Target::Response { status } => {
            let schema = responses(api)?
                .into_iter()
                .find(|(_, s, _)| s == status)
                .and_then(|(_, _, media)| media.get("schema"));
            match schema {
                Some(schema) => convert::to_json_schema(schema),
                None => {
                    let known = responses(api)?.into_iter().map(|(_, s, _)| s.to_string());
                    return Err(unknown(api, target, known));
                }
            }
        }
    };
    let mut document = Map::new();
    document.insert("$schema".into(), json!(DIALECT));
    if let Some(id) = id {
        document.insert("$id".into(), json!(id));
    }
    let reachable = convert::reachable_defs(&root, &defs);
    if let Value::Object(root) = root {
        document.extend(root);
    }
    let used: Map<String, Value> = reachable
        .iter()
        .filter_map(|n| Some((n.clone(), defs.get(n)?.clone())))
        .collect();
    if !used.is_empty() {
        document.insert("$defs".into(), Value::Object(used));
    }
    Ok(Value::Object(document))
}

fn unknown(api: Api, target: &Target, known: impl Iterator<Item = String>) -> ContractError {
    ContractError::UnknownTarget {
        api,
        target: target.clone(),
        known: known.collect::<Vec<_>>().join(", "),
    }
}

/// Text that is not JSON, with where the parser gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("not JSON at line {line}, column {column}: {message}")]
pub struct JsonError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The parser's message.
    pub message: String,
}

/// Parses JSON text. A leading UTF-8 byte order mark is ignored (RFC 8259 allows it); anything
/// else that is not one JSON value, including nesting deeper than 128 levels, is an error with
/// its line and column. Of a member name repeated in one object the last occurrence is kept, as
/// `serde_json` keeps it; [`parse_json_and_repeats`] also says where that happened.
pub fn parse_json(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_json_and_repeats(bytes).map(|(value, _)| value)
}

/// [`parse_json`], and every member name repeated in one object, as the violations
/// [`Contract::check_bytes`] reports for them ([`repeated`]), sorted.
pub fn parse_json_and_repeats(bytes: &[u8]) -> Result<(Value, Vec<Violation>), JsonError> {
    let (value, repeated) = repeated::parse(strip_bom(bytes))?;
    let mut violations: Vec<Violation> =
        repeated.iter().map(repeated::Repeated::violation).collect();
    violations.sort();
    Ok((value, violations))
}

/// The bytes after a leading UTF-8 byte order mark, if there is one.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn json_error(e: serde_json::Error) -> JsonError {
    let message = e.to_string();
    // serde_json appends " at line L column C"; the fields carry that already.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    JsonError {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// The outcome of checking one payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// It satisfies the contract.
    Valid,
    /// It breaks the contract; every violation, sorted.
    Invalid {
        /// What is wrong, and where.
        violations: Vec<Violation>,
    },
    /// It is not JSON at all.
    NotJson {
        /// Where parsing failed.
        error: JsonError,
    },
}

impl Verdict {
    /// Whether the payload satisfies the contract.
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }
}

/// The compiled validators of one API: every documented response and every component.
pub struct Contract {
    api: Api,
    validators: BTreeMap<Target, Compiled>,
}

/// One target's schema, compiled for `serde_json::Value`s, and for tapes on first use.
struct Compiled {
    document: Value,
    value: jsonschema::Validator,
    tape: OnceLock<Result<jsonschema::Validator<tape::TapeJson>, String>>,
    /// The tape validator that only answers whether a document is valid, with the hand-written
    /// matchers of [`pattern`]; compiled on first use.
    fast: OnceLock<Result<jsonschema::Validator<tape::TapeJson>, String>>,
    /// Where a large document's records are ([`large`]), worked out on first use.
    large: OnceLock<Option<large::Plan>>,
    /// The compiled validity check ([`fastcheck`]), or why this target has none; compiled on
    /// first use.
    checker: OnceLock<Result<fastcheck::Checker, fastcheck::Unsupported>>,
}

impl Compiled {
    /// The compiled validity check ([`fastcheck`]) of this target, compiled on first use, or
    /// why there is none.
    fn checker(&self) -> Result<&fastcheck::Checker, &fastcheck::Unsupported> {
        self.checker
            .get_or_init(|| fastcheck::Checker::compile(&self.document))
            .as_ref()
    }
}

/// The validity question of one target on tapes: the compiled check where the target has one,
/// the engine's validity-only validator where it has none or the check declines a document.
#[derive(Clone, Copy)]
pub(crate) struct Fast<'c> {
    checker: Option<&'c fastcheck::Checker>,
    engine: &'c jsonschema::Validator<tape::TapeJson>,
}

impl Fast<'_> {
    /// `Some(Valid)` when the compiled check vouches, on a tape whose repeated names were not
    /// looked for yet, that the document is valid and repeats no name
    /// ([`fastcheck::Checker::is_valid_and_unique`]); `None` sends it down the whole path.
    fn quick(&self, root: tape::TapeNode<'_>) -> Option<Verdict> {
        self.checker
            .is_some_and(|checker| checker.is_valid_and_unique(root))
            .then_some(Verdict::Valid)
    }

    /// Whether `node` satisfies the target.
    pub(crate) fn is_valid(&self, node: tape::TapeNode<'_>) -> bool {
        match self.checker.map(|checker| checker.is_valid(node)) {
            Some(Ok(valid)) => valid,
            Some(Err(fastcheck::Decline)) | None => self.engine.is_valid(node),
        }
    }
}

/// [`validator_options`] for a validator asked only whether a document is valid: `pattern`
/// goes to the hand-written matchers where one fits ([`pattern`]), which the tests prove equal
/// to the engine's. Its errors are never reported.
fn fast_validator_options<F: jsonschema::json::Json>()
-> jsonschema::ValidationOptions<'static, std::sync::Arc<dyn jsonschema::Retrieve>, F> {
    validator_options::<F>()
        .with_keyword("pattern", pattern::keyword::<F>)
        .with_keyword(pattern::LONG_ID, pattern::long_id_keyword::<F>)
}

fn validator_options<F: jsonschema::json::Json>()
-> jsonschema::ValidationOptions<'static, std::sync::Arc<dyn jsonschema::Retrieve>, F> {
    jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_keyword(
            convert::OPENAPI_INTEGER,
            convert::openapi_integer_keyword::<F>,
        )
}

impl fmt::Debug for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contract")
            .field("api", &self.api)
            .field("targets", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Contract {
    /// The contract of `api`, compiled on first use and shared afterwards.
    pub fn get(api: Api) -> Result<&'static Contract, ContractError> {
        static CONTRACTS: [OnceLock<Result<Contract, Arc<ContractError>>>; 2] =
            [OnceLock::new(), OnceLock::new()];
        let slot = CONTRACTS[api as usize].get_or_init(|| Contract::compile(api).map_err(Arc::new));
        slot.as_ref().map_err(|error| match &**error {
            // Already the spec's own failure: handed on as it is, not wrapped in itself.
            ContractError::Spec { api, source } => ContractError::Spec {
                api: *api,
                source: source.clone(),
            },
            _ => ContractError::Spec {
                api,
                source: error.clone(),
            },
        })
    }

    /// Compiles every response and component schema of `api`.
    pub fn compile(api: Api) -> Result<Contract, ContractError> {
        let spec = api.spec()?;
        let mut targets: Vec<Target> = responses(api)?
            .into_iter()
            .filter(|(_, _, media)| media.get("schema").is_some())
            .map(|(_, status, _)| Target::Response { status })
            .collect();
        targets.extend(
            convert::components_to_defs(spec)
                .keys()
                .cloned()
                .map(Target::Schema),
        );
        let mut validators = BTreeMap::new();
        for target in targets {
            let mut document = schema_document(api, &target, None)?;
            // OpenAPI 3.0.3 integers, which the published 2020-12 files cannot express.
            convert::mark_openapi_integers(&mut document);
            let value =
                validator_options()
                    .build(&document)
                    .map_err(|e| ContractError::Compile {
                        api,
                        target: target.clone(),
                        why: e.to_string(),
                    })?;
            validators.insert(
                target,
                Compiled {
                    document,
                    value,
                    tape: OnceLock::new(),
                    fast: OnceLock::new(),
                    large: OnceLock::new(),
                    checker: OnceLock::new(),
                },
            );
        }
        Ok(Contract { api, validators })
    }

    /// Which API this is the contract of.
    pub fn api(&self) -> Api {
        self.api
    }

    /// Every target this contract can check.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.validators.keys()
    }

    /// Every violation of `target` in `instance`, sorted by pointer then keyword; empty when valid.
    ///
    /// A `Value` has no repeated member names left to report: [`Contract::check_bytes`] reads
    /// the text and reports those too.
    pub fn validate(
        &self,
        target: &Target,
        instance: &Value,
    ) -> Result<Vec<Violation>, ContractError> {
        let compiled = self.compiled(target)?;
        let violations = compiled
            .value
            .iter_errors(instance)
            .map(|error| {
                let pointer = error.instance_path().as_str().to_owned();
                // Redacted while it is rendered, so a credential is never half-shown at the cut.
                let message = redact::message_of_value(&error, &pointer, error.instance());
                let impact = impact::of(&error, &error.instance().as_ref(), &compiled.document);
                violation(&error, pointer, message, impact)
            })
            .collect();
        Ok(sorted(violations))
    }

    /// Parses `bytes` as JSON and checks it against `target`: every member name repeated in one
    /// object ([`repeated`]), then [`Contract::validate`]'s violations of the document as
    /// [`parse_json`] reads it, with the same messages.
    ///
    /// The fast path: simd-json reads the text into a tape whose strings borrow from a scratch
    /// copy, and the validator checks the tape in place, building no `Value` ([`tape`]). A payload
    /// that fails is checked again on the tape to collect its violations, each message rendering
    /// only as much of the failing value as it shows ([`redact`]), so an invalid payload costs
    /// about what a valid one does. Only text the fast path declines (and the rare violation
    /// whose message needs more than the failing value, see [`redact::message`]) is parsed by
    /// `serde_json` into a `Value`. A valid document of [`large::LARGE_BYTES`] or more is
    /// checked a batch of records at a time instead of whole ([`large`]).
    pub fn check_bytes(&self, target: &Target, bytes: &[u8]) -> Result<Verdict, ContractError> {
        // An unknown target is refused before the text is looked at.
        let compiled = self.compiled(target)?;
        let bytes = strip_bom(bytes);
        let fast = self.fast_validator(target, compiled)?;
        if bytes.len() >= large::LARGE_BYTES
            && let Some(verdict) = large::check(self, target, compiled, bytes)?
        {
            return Ok(verdict);
        }
        let verdict = tape::with_document_or_quick(
            bytes,
            |root| fast.quick(root).map(Some),
            |document| self.check_document(target, compiled, fast, document?),
        );
        self.finish(target, bytes, verdict)
    }

    /// [`Contract::check_bytes`] of the bytes `buffer` holds, read in place where the fast path
    /// can ([`tape::with_document_in_place`]): a large document is not copied first. `buffer`
    /// holds the same bytes afterwards.
    // Its callers: `validate` (the `cli` feature) and the proxy (`mock`).
    #[cfg_attr(not(any(feature = "cli", feature = "mock")), allow(dead_code))]
    pub(crate) fn check_buffer(
        &self,
        target: &Target,
        buffer: &mut Vec<u8>,
    ) -> Result<Verdict, ContractError> {
        if buffer.starts_with(b"\xEF\xBB\xBF") {
            return self.check_bytes(target, buffer);
        }
        let compiled = self.compiled(target)?;
        let fast = self.fast_validator(target, compiled)?;
        if buffer.len() >= large::LARGE_BYTES
            && let Some(verdict) = large::check(self, target, compiled, buffer)?
        {
            return Ok(verdict);
        }
        let verdict = tape::with_document_in_place_or_quick(
            buffer,
            |root| fast.quick(root).map(Some),
            |document| self.check_document(target, compiled, fast, document?),
        );
        self.finish(target, buffer, verdict)
    }

    /// The verdict of the fast path, or when it declined, of `serde_json` on `bytes`.
    fn finish(
        &self,
        target: &Target,
        bytes: &[u8],
        verdict: Option<Verdict>,
    ) -> Result<Verdict, ContractError> {
        if let Some(verdict) = verdict {
            return Ok(verdict);
        }
        let (instance, mut violations) = match parse_json_and_repeats(bytes) {
            Ok(parsed) => parsed,
            Err(error) => return Ok(Verdict::NotJson { error }),
        };
        violations.extend(self.validate(target, &instance)?);
        Ok(to_verdict(violations))
    }

    /// Why `target` has no compiled validity check ([`fastcheck`]), or `None` when it has one.
    /// For the tests that keep every target of both APIs on the compiled check.
    #[doc(hidden)]
    pub fn fastcheck_unsupported(
        &self,
        target: &Target,
    ) -> Result<Option<fastcheck::Unsupported>, ContractError> {
        let compiled = self.compiled(target)?;
        Ok(compiled.checker().err().cloned())
    }

    /// The compiled validity check's own answer on `bytes` ([`fastcheck`]), without the
    /// engine behind it: `None` where the target has no check, the fast parser declines the
    /// text, or the check declines the document. Repeated names are not part of it (they are
    /// their own violation, found before). For the differential tests against
    /// [`Contract::is_valid`].
    #[doc(hidden)]
    pub fn fastcheck_verdict(
        &self,
        target: &Target,
        bytes: &[u8],
    ) -> Result<Option<bool>, ContractError> {
        let compiled = self.compiled(target)?;
        let Ok(checker) = compiled.checker() else {
            return Ok(None);
        };
        Ok(tape::with_document(strip_bom(bytes), |document| {
            checker.is_valid(document?.root()).ok()
        }))
    }

    /// Whether the compiled check vouches for `bytes` before repeated names are looked for
    /// ([`fastcheck::Checker::is_valid_and_unique`]): valid, and no name repeated. For the
    /// differential tests, which hold that to [`Contract::is_valid`] and [`parse_json_and_repeats`].
    #[doc(hidden)]
    pub fn fastcheck_vouches(&self, target: &Target, bytes: &[u8]) -> Result<bool, ContractError> {
        let compiled = self.compiled(target)?;
        let Ok(checker) = compiled.checker() else {
            return Ok(false);
        };
        Ok(tape::with_document_or_quick(
            strip_bom(bytes),
            |root| Some(checker.is_valid_and_unique(root)),
            |_| false,
        ))
    }

    /// Whether `instance` satisfies `target`; faster than [`Contract::validate`] when valid.
    pub fn is_valid(&self, target: &Target, instance: &Value) -> Result<bool, ContractError> {
        Ok(self.compiled(target)?.value.is_valid(instance))
    }

    #[cfg(feature = "cli")]
    fn validator(&self, target: &Target) -> Result<&jsonschema::Validator, ContractError> {
        Ok(&self.compiled(target)?.value)
    }

    /// The tape validator of `target`, compiled on first use.
    fn tape_validator<'c>(
        &self,
        target: &Target,
        compiled: &'c Compiled,
    ) -> Result<&'c jsonschema::Validator<tape::TapeJson>, ContractError> {
        compiled
            .tape
            .get_or_init(|| {
                validator_options()
                    .build(&compiled.document)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|why| ContractError::Compile {
                api: self.api,
                target: target.clone(),
                why: why.clone(),
            })
    }

    /// The validity question of `target` ([`Fast`]): its compiled check and the engine's
    /// validity-only validator, each compiled on first use. The engine's is compiled even where
    /// the check is, so a schema the engine refuses is refused as it always was.
    fn fast_validator<'c>(
        &self,
        target: &Target,
        compiled: &'c Compiled,
    ) -> Result<Fast<'c>, ContractError> {
        let engine = self.engine_fast_validator(target, compiled)?;
        let checker = compiled.checker().ok();
        Ok(Fast { checker, engine })
    }

    /// The engine's validity-only tape validator of `target` ([`fast_validator_options`]),
    /// compiled on first use.
    fn engine_fast_validator<'c>(
        &self,
        target: &Target,
        compiled: &'c Compiled,
    ) -> Result<&'c jsonschema::Validator<tape::TapeJson>, ContractError> {
        compiled
            .fast
            .get_or_init(|| {
                fast_validator_options()
                    .build(&pattern::fast_document(&compiled.document))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|why| ContractError::Compile {
                api: self.api,
                target: target.clone(),
                why: why.clone(),
            })
    }

    /// The verdict on a parsed tape; `None` for the rare violation whose message needs more
    /// than the failing value ([`redact::message`]): the caller then checks a `Value`. `fast`
    /// answers whether it is valid; the violations of one that is not are collected by the
    /// engine's own validator, so their keywords and messages are [`Contract::validate`]'s.
    fn check_document(
        &self,
        target: &Target,
        compiled: &Compiled,
        fast: Fast<'_>,
        document: &tape::Document<'_>,
    ) -> Option<Verdict> {
        let mut violations: Vec<Violation> = document
            .repeated_names()
            .iter()
            .map(repeated::Repeated::violation)
            .collect();
        if violations.is_empty() && fast.is_valid(document.root()) {
            return Some(Verdict::Valid);
        }
        // A validator that does not compile: the `Value` path reports what it can.
        let full = self.tape_validator(target, compiled).ok()?;
        for error in full.iter_errors(document.root()) {
            let pointer = error.instance_path().as_str().to_owned();
            let (message, impact) = match document.node_of(error.instance()) {
                Some(node) => (
                    redact::message(&error, &pointer, &node)?,
                    impact::of(&error, &node, &compiled.document),
                ),
                // Not a node of this tape (see `TapeNode::lazy_value`): a real value.
                None => (
                    redact::message_of_value(&error, &pointer, error.instance()),
                    impact::of(&error, &error.instance().as_ref(), &compiled.document),
                ),
            };
            violations.push(violation(&error, pointer, message, impact));
        }
        Some(to_verdict(violations))
    }

    fn compiled(&self, target: &Target) -> Result<&Compiled, ContractError> {
        self.validators.get(target).ok_or_else(|| {
            unknown(
                self.api,
                target,
                self.validators.keys().map(ToString::to_string),
            )
        })
    }
}

/// A violation of a jsonschema error with its pointer and finished message.
fn violation(
    error: &jsonschema::ValidationError<'_>,
    pointer: String,
    message: String,
    impact: Impact,
) -> Violation {
    let keyword = error.kind().keyword();
    let schema_path = error.schema_path().as_str();
    // The OpenAPI integer rule is the `type` keyword as OpenAPI 3.0.3 defines it, so it is
    // reported as `type`, at the `type` beside it.
    let (keyword, schema_path) = match schema_path.strip_suffix(convert::OPENAPI_INTEGER) {
        Some(parent) if keyword == convert::OPENAPI_INTEGER => ("type", format!("{parent}type")),
        _ => (keyword, schema_path.to_owned()),
    };
    Violation {
        pointer,
        keyword: keyword.to_owned(),
        message,
        schema_path,
        impact,
    }
}

/// `violations` sorted, each once.
fn sorted(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.sort();
    violations.dedup();
    violations
}

/// `Valid` for no violations, else `Invalid` with them sorted.
fn to_verdict(violations: Vec<Violation>) -> Verdict {
    if violations.is_empty() {
        Verdict::Valid
    } else {
        Verdict::Invalid {
            violations: sorted(violations),
        }
    }
}

/// Cuts `message` to [`redact::MAX_MESSAGE_CHARS`] characters, saying how much was left out.
fn truncate(message: &str) -> String {
    let mut out = redact::Capped::new(redact::MAX_MESSAGE_CHARS);
    let _ = fmt::Write::write_str(&mut out, message);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_line_and_column() {
        let err = parse_json(b"{\n  \"a\": trux\n}").expect_err("not JSON");
        assert_eq!((err.line, err.column), (2, 11));
        assert!(err.message.starts_with("expected ident"), "{}", err.message);
        assert_eq!(
            parse_json(b"\xEF\xBB\xBF{}").expect("BOM ignored"),
            json!({})
        );
        let err = parse_json(b"").expect_err("empty");
        assert!(err.message.contains("EOF"), "{}", err.message);
        let deep = "[".repeat(100_000);
        let err = parse_json(deep.as_bytes()).expect_err("too deep");
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }

    #[test]
    fn long_messages_are_cut_and_say_so() {
        let long = "x".repeat(1000);
        let cut = truncate(&long);
        assert!(cut.starts_with(&"x".repeat(redact::MAX_MESSAGE_CHARS)));
        assert!(cut.ends_with("... (700 more characters)"), "{cut}");
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn unknown_targets_name_what_exists() {
        let contract = Contract::get(Api::Cbr).expect("compiles");
        let err = contract
            .validate(&Target::Response { status: 418 }, &Value::Null)
            .expect_err("no 418");
        let text = err.to_string();
        assert!(
            text.contains("response 418") && text.contains("response 200"),
            "{text}"
        );
    }

    #[test]
    fn checking_a_buffer_in_place_gives_check_bytes_verdict() {
        let contract = Contract::get(Api::Cbr).expect("compiles");
        let target = Target::Response { status: 200 };
        let texts: &[&[u8]] = &[
            br#"{"count":1,"operation_logs":[{"id":"a","status":"success"}]}"#,
            br#"{"count":"1","operation_logs":{},"limit":0,"extra":true}"#,
            br#"{"count":1,"count":2,"operation_logs":[{"id":"a\u00e9\"","status":"nope"}]}"#,
            b"\xEF\xBB\xBF{\"count\":-1}",
            br#"{"count":1.0}"#,
            b"{\"count\": tru",
            b"",
        ];
        for text in texts {
            let expected = contract.check_bytes(&target, text).expect("target");
            let mut buffer = text.to_vec();
            let found = contract.check_buffer(&target, &mut buffer).expect("target");
            let shown = String::from_utf8_lossy(text);
            assert_eq!(found, expected, "{shown}");
            assert_eq!(buffer, *text, "{shown}");
        }
    }

    #[test]
    fn every_violation_is_reported_not_only_the_first() {
        let contract = Contract::get(Api::Cbr).expect("compiles");
        let page = json!({"count": "1", "operation_logs": {}, "limit": 0, "extra": true});
        let found: Vec<(String, String)> = contract
            .validate(&Target::Response { status: 200 }, &page)
            .expect("target exists")
            .into_iter()
            .map(|v| (v.pointer, v.keyword))
            .collect();
        let expected = [
            ("", "additionalProperties"),
            ("/count", "type"),
            ("/limit", "minimum"),
            ("/operation_logs", "type"),
        ];
        assert_eq!(
            found,
            expected.map(|(p, k)| (p.to_owned(), k.to_owned())).to_vec()
        );
    }
}
