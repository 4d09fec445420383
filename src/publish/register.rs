//! The discrepancy register (`openapi/DISCREPANCIES.md`) as data, and which parts of each spec
//! every row is about, for the generated reference.
//!
//! The register says in prose which fields a row concerns; [`APPLIES`] says it to the generator.
//! The tests below check both directions: every row of the register is in [`APPLIES`], and every
//! location there exists in its spec, so a new row or a renamed field fails the build's tests
//! instead of silently dropping a link.

use std::sync::OnceLock;

#[cfg(test)]
use serde_json::Value;

use crate::contract::Api;

/// The register's text, as compiled into this crate (like the specs).
const TEXT: &str = include_str!("../../openapi/DISCREPANCIES.md");

/// One table of the register, under its `##` heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// The section heading, without `## `.
    pub heading: String,
    /// The header cells, as written.
    pub header: Vec<String>,
    /// The rows, in register order.
    pub rows: Vec<Row>,
}

/// One row of a register table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// The row id in its first cell (`C2`, `O7`, `N1`).
    pub id: String,
    /// Every cell as written in the register (already GFM: pipes escaped), the id first.
    pub cells: Vec<String>,
}

/// A part of a spec a register row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc<'s> {
    /// A parameter of the operation, by name.
    Parameter(&'s str),
    /// A property of a component object schema: `(component, property)`.
    Field(&'s str, &'s str),
    /// A component schema: the schema itself, and every field and parameter of that type.
    Schema(&'s str),
    /// A documented response status.
    Status(u16),
}

use Loc::{Field, Parameter, Schema, Status};

/// Which parts of which spec each register row is about.
pub(crate) const APPLIES: &[(Api, &str, &[Loc<'static>])] = &[
    (Api::Cbr, "C1", &[Schema("Timestamp")]),
    (
        Api::Cbr,
        "C2",
        &[
            Field("OperationLog", "vault_id"),
            Field("OperationLog", "vault_name"),
            Field("OperationLog", "policy_id"),
        ],
    ),
    (
        Api::Cbr,
        "C3",
        &[
            Field("OperationLog", "id"),
            Field("OperationLog", "project_id"),
            Field("OperationLog", "status"),
            Field("OperationLog", "created_at"),
            Field("OperationLog", "started_at"),
            Field("OperationLog", "updated_at"),
            Field("OperationLog", "error_info"),
        ],
    ),
    (Api::Cbr, "C4", &[Schema("OperationTypeFilter")]),
    (Api::Cbr, "C5", &[Schema("OperationType")]),
    (Api::Cbr, "C6", &[Parameter("offset"), Parameter("limit")]),
    (Api::Cbr, "C7", &[Parameter("enterprise_project_id")]),
    (Api::Cbr, "C8", &[Status(404)]),
    (
        Api::Cbr,
        "C9",
        &[
            Schema("ErrorResponse"),
            Status(400),
            Status(401),
            Status(403),
            Status(500),
        ],
    ),
    (Api::Cbr, "C10", &[Schema("Incremental")]),
    (
        Api::Cbr,
        "C11",
        &[
            Field("OpExtendInfoBckup", "app_consistency_error_code"),
            Field("OpExtendInfoBckup", "app_consistency_error_message"),
            Field("OpExtendInfoBckup", "app_consistency_status"),
            Field("OpExtraInfo", "replication"),
            Field("ResourceExtraInfo", "include_volumes"),
        ],
    ),
    (
        Api::Cbr,
        "C12",
        &[
            Field("OpExtendInfoVaultDelete", "fail_count"),
            Field("OpExtendInfoVaultDelete", "total_count"),
            Field("OpExtendInfoVaultDelete", "fail_delete_count"),
            Field("OpExtendInfoVaultDelete", "total_delete_count"),
        ],
    ),
    (Api::Cbr, "C13", &[Field("Resource", "type")]),
    (
        Api::Cbr,
        "C14",
        &[
            Field("ListOpLogsResponse", "limit"),
            Field("ListOpLogsResponse", "offset"),
        ],
    ),
    (
        Api::Cbr,
        "C15",
        &[
            Field("ListOpLogsResponse", "operation_logs"),
            Field("ListOpLogsResponse", "count"),
            Field("OpErrorInfo", "code"),
            Field("OpErrorInfo", "message"),
        ],
    ),
    // `servers` is no part of a schema: the row shows with every response the hosts send.
    (
        Api::Cbr,
        "C16",
        &[
            Status(200),
            Status(400),
            Status(401),
            Status(403),
            Status(404),
            Status(500),
        ],
    ),
    (
        Api::Cbr,
        "C17",
        &[
            Status(400),
            Status(401),
            Status(403),
            Status(404),
            Status(500),
        ],
    ),
    (Api::Cbr, "C18", &[Schema("ErrorResponse")]),
    (
        Api::Ocp,
        "O1",
        &[
            Schema("LogBackupTaskStatus"),
            Schema("LogBackupTaskStatusFilter"),
        ],
    ),
    (Api::Ocp, "O2", &[Field("LogBackupTask", "delay")]),
    (
        Api::Ocp,
        "O3",
        &[Field("LogBackupTaskPageResponse", "data")],
    ),
    (Api::Ocp, "O4", &[Field("LogBackupTask", "agentServerIp")]),
    (Api::Ocp, "O5", &[Parameter("page"), Parameter("size")]),
    (Api::Ocp, "O6", &[Schema("Timestamp")]),
    (Api::Ocp, "O7", &[Schema("LongId")]),
    (Api::Ocp, "O8", &[Schema("LogBackupTask")]),
    (
        Api::Ocp,
        "O9",
        &[
            Schema("ErrorResponse"),
            Schema("ErrorCode"),
            Status(400),
            Status(401),
            Status(403),
            Status(404),
            Status(429),
            Status(500),
        ],
    ),
    (Api::Ocp, "O10", &[Parameter("status")]),
    (Api::Ocp, "O11", &[Schema("LogBackupTaskStatus")]),
    (
        Api::Ocp,
        "O12",
        &[
            Field("ApiError", "stackTrace"),
            Field("ApiError", "target"),
            Field("ApiError", "subErrors"),
            Schema("ApiErrorTarget"),
        ],
    ),
    (
        Api::Ocp,
        "O13",
        &[Field("LogBackupTaskPageResponse", "successful")],
    ),
    (
        Api::Cbr,
        "N1",
        &[
            Field("OperationLog", "vault_id"),
            Field("OperationLog", "vault_name"),
            Field("OperationLog", "policy_id"),
        ],
    ),
    (
        Api::Cbr,
        "N2",
        &[
            Field("ResourceExtraInfo", "exclude_volumes"),
            Field("ResourceExtraInfo", "include_volumes"),
            Field("OpExtendInfoRemoveResources", "resources"),
        ],
    ),
    (Api::Ocp, "N2", &[Field("ApiError", "subErrors")]),
    (Api::Ocp, "N3", &[Field("LogBackupTask", "delay")]),
    (
        Api::Cbr,
        "N4",
        &[
            Field("ListOpLogsResponse", "count"),
            Field("ListOpLogsResponse", "limit"),
            Field("ListOpLogsResponse", "offset"),
        ],
    ),
    (
        Api::Ocp,
        "N4",
        &[Schema("LongId"), Schema("PageInfo"), Schema("ErrorCode")],
    ),
    (Api::Cbr, "N5", &[Schema("OperationLog")]),
    (Api::Ocp, "N5", &[Schema("LogBackupTask")]),
];

/// The register's tables, parsed once.
pub(crate) fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(|| parse(TEXT))
}

/// The ids of the rows about `loc` in `api`, in register order.
pub(crate) fn rows_about(api: Api, loc: Loc<'_>) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = APPLIES
        .iter()
        .filter(|(a, _, locs)| *a == api && locs.contains(&loc))
        .map(|(_, id, _)| *id)
        .collect();
    sort(&mut ids);
    ids
}

/// Sorts row ids into register order (ids the register lacks last, by name) and drops repeats.
pub(crate) fn sort(ids: &mut Vec<&'static str>) {
    let position = |id: &str| {
        tables()
            .iter()
            .flat_map(|t| &t.rows)
            .position(|r| r.id == id)
            .unwrap_or(usize::MAX)
    };
    ids.sort_by_key(|id| (position(id), *id));
    ids.dedup();
}

/// The tables of a Markdown document: every pipe table, under the latest `##` heading. The first
/// line of a table is its header, the second its delimiter row; a row's id is its first cell.
pub(crate) fn parse(text: &str) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    let mut heading = String::new();
    let mut current: Option<Table> = None;
    let mut after_header = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            tables.extend(current.take());
            if let Some(h) = trimmed.strip_prefix("## ") {
                heading = h.trim().to_owned();
            }
            continue;
        }
        let cells = split_row(trimmed);
        match &mut current {
            None => {
                current = Some(Table {
                    heading: heading.clone(),
                    header: cells,
                    rows: Vec::new(),
                });
                after_header = true;
            }
            Some(_) if after_header => after_header = false, // the `|---|` delimiter row
            Some(table) => {
                if let Some(id) = cells.first().filter(|id| !id.is_empty()) {
                    table.rows.push(Row {
                        id: id.clone(),
                        cells: cells.clone(),
                    });
                }
            }
        }
    }
    tables.extend(current);
    tables
}

/// The cells of one table line, split on pipes that are not escaped, each trimmed.
pub(crate) fn split_row(line: &str) -> Vec<String> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        if c == '|' && !escaped {
            cells.push(cell.trim().to_owned());
            cell.clear();
        } else {
            cell.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    cells.push(cell.trim().to_owned());
    cells
}

/// Whether `loc` names something that exists in `spec` (an OpenAPI document).
#[cfg(test)]
fn exists(spec: &Value, loc: Loc<'_>) -> bool {
    let schema = |name: &str| spec.pointer(&format!("/components/schemas/{name}"));
    match loc {
        Schema(name) => schema(name).is_some(),
        Field(component, property) => schema(component)
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(property))
            .is_some(),
        Parameter(name) => operations(spec).any(|op| {
            op.get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.get("name").and_then(Value::as_str) == Some(name))
                })
        }),
        Status(status) => operations(spec).any(|op| {
            op.get("responses")
                .and_then(|r| r.get(status.to_string()))
                .is_some()
        }),
    }
}

/// Every operation object of `spec`.
#[cfg(test)]
fn operations(spec: &Value) -> impl Iterator<Item = &Value> {
    spec.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter(|op| op.get("responses").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_parses_into_its_three_tables() {
        let tables = tables();
        let headings: Vec<&str> = tables.iter().map(|t| t.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "CBR `ListOpLogs`",
                "OCP log backup tasks",
                "Reader normalisations"
            ]
        );
        for table in tables {
            for row in &table.rows {
                assert_eq!(
                    row.cells.len(),
                    table.header.len(),
                    "row {} of {:?} has a stray or missing pipe",
                    row.id,
                    table.heading
                );
            }
        }
        assert_eq!(tables[0].rows.len(), 18);
        assert_eq!(tables[1].rows.len(), 13);
        assert_eq!(tables[2].rows.len(), 5);
    }

    #[test]
    fn escaped_pipes_stay_inside_their_cell() {
        let parsed = parse("## T\n| # | a |\n|---|---|\n| X1 | `a\\|b` c |\n");
        assert_eq!(parsed[0].rows[0].cells, ["X1", "`a\\|b` c"]);
    }

    /// A row added to the register without saying what it applies to would vanish from the
    /// reference; this names it.
    #[test]
    fn every_register_row_says_what_it_applies_to() {
        for table in tables() {
            for row in &table.rows {
                assert!(
                    APPLIES.iter().any(|(_, id, _)| *id == row.id),
                    "register row {} is not in publish::register::APPLIES",
                    row.id
                );
            }
        }
        for (_, id, _) in APPLIES {
            assert!(
                tables().iter().flat_map(|t| &t.rows).any(|r| r.id == *id),
                "APPLIES names {id}, which the register does not have"
            );
        }
    }

    #[test]
    fn every_location_exists_in_its_spec() {
        for (api, id, locs) in APPLIES {
            let spec = api.spec().expect("spec parses");
            assert!(!locs.is_empty(), "{id} applies to nothing");
            for loc in *locs {
                assert!(exists(spec, *loc), "{id}: {loc:?} is not in the {api} spec");
            }
        }
    }

    #[test]
    fn rows_come_back_in_register_order() {
        assert_eq!(
            rows_about(Api::Cbr, Field("OperationLog", "vault_id")),
            ["C2", "N1"]
        );
        assert_eq!(
            rows_about(Api::Ocp, Field("LogBackupTask", "delay")),
            ["O2", "N3"]
        );
        assert!(rows_about(Api::Ocp, Field("OperationLog", "vault_id")).is_empty());
    }
}
