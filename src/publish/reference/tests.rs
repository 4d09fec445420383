//! The reference page, rendered from a small spec shaped to hit every column, and from the real
//! specs.

use super::*;
use crate::publish::register;
use serde_json::json;

/// A spec small enough to read, shaped to hit every column: a nullable field with a pipe in
/// its description, an enum, numeric and length bounds, a required set of alternatives, a
/// recursive array, and a component and property the register has rows about (OCP's
/// `LogBackupTask.delay`: O2, N3).
fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Tasks", "version": "1.2.3"},
        "paths": {"/tasks": {"get": {
            "operationId": "list_tasks",
            "summary": "List tasks",
            "parameters": [{
                "name": "size", "in": "query", "description": "Page size.",
                "schema": {"type": "integer", "format": "int32", "minimum": 1, "default": 10},
            }],
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/LogBackupTask"},
                "examples": {"one": {"summary": "One task", "value": {"delay": 1.5}}},
            }}}},
        }}},
        "components": {"schemas": {
            "LogBackupTask": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id"],
                "anyOf": [{"required": ["delay"]}, {"required": ["kind"]}],
                "properties": {
                    "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10},
                    "note": {"type": "string", "nullable": true, "maxLength": 5,
                             "description": "Either `a|b` or\n  nothing."},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "delay": {"type": "number", "x-evidence": "samples"},
                    "children": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/LogBackupTask"}},
                },
            },
            "Kind": {"type": "string", "enum": ["A", "B"], "description": "The kind."},
        }},
    })
}

fn page() -> String {
    render(Api::Ocp, &spec(), Version::parse("1.2.3").expect("version"))
}

fn row<'t>(page: &'t str, anchor_id: &str) -> &'t str {
    let start = page
        .find(&format!("<a id=\"{anchor_id}\"></a>"))
        .unwrap_or_else(|| panic!("no anchor {anchor_id} in\n{page}"));
    let line_start = page[..start].rfind('\n').map_or(0, |i| i + 1);
    let end = page[start..].find('\n').map_or(page.len(), |i| start + i);
    &page[line_start..end]
}

#[test]
fn a_nullable_field_says_so_and_its_description_cannot_break_the_table() {
    let page = page();
    assert_eq!(
        row(&page, "field-list_tasks-logbackuptask-note"),
        "| <a id=\"field-list_tasks-logbackuptask-note\"></a>`note` | string | no | yes |  \
         | length ≤ 5 | Either `a\\|b` or nothing. |  |"
    );
}

#[test]
fn bounds_formats_enums_and_required_sets_are_columns() {
    let page = page();
    assert_eq!(
        row(&page, "field-list_tasks-logbackuptask-id"),
        "| <a id=\"field-list_tasks-logbackuptask-id\"></a>`id` | integer (int64) | yes | no \
         |  | 1 to 10 |  |  |"
    );
    assert_eq!(
        row(&page, "field-list_tasks-logbackuptask-kind"),
        "| <a id=\"field-list_tasks-logbackuptask-kind\"></a>`kind` | string \
         ([`Kind`](#schema-kind)) | in an alternative (below) | no | `A`, `B` |  | The kind. |  |"
    );
    assert!(
        page.contains(
            "The body must carry at least one of these sets of fields: (`delay`) or (`kind`)."
        ),
        "{page}"
    );
    assert_eq!(
        row(&page, "param-list_tasks-size"),
        "| <a id=\"param-list_tasks-size\"></a>`size` | query | integer (int32) | no | `10` \
         | ≥ 1 | Page size. | [O5](#register-o5) |",
        "a parameter the register has a row about links to it"
    );
}

#[test]
fn a_field_links_to_its_register_rows_and_the_rows_link_back() {
    let page = page();
    let field = "field-list_tasks-logbackuptask-delay";
    assert!(
        row(&page, field).ends_with(
            "| number | in an alternative (below) | no |  |  | *Evidence:* samples. \
             | [O2](#register-o2), [N3](#register-n3) |"
        ),
        "{}",
        row(&page, field)
    );
    for register_row in ["register-o2", "register-n3"] {
        assert!(
            row(&page, register_row).contains(&format!("(#{field})")),
            "{register_row} does not link back to {field}"
        );
    }
    // Rows about nothing on this page are left out.
    assert!(!page.contains("register-o1"), "{page}");
}

#[test]
fn a_recursive_schema_is_listed_once() {
    let page = page();
    assert!(
        row(&page, "field-list_tasks-logbackuptask-children")
            .contains("array of object ([`LogBackupTask`](#schema-logbackuptask)), recursive")
    );
    assert!(!page.contains("children[].id"), "{page}");
}

#[test]
fn examples_are_sorted_json_blocks() {
    let page = page();
    assert!(
        page.contains("Example `200` `one`: One task\n\n```json\n{\n  \"delay\": 1.5\n}\n```\n"),
        "{page}"
    );
}

#[test]
fn the_real_specs_name_every_register_row_they_apply_to() {
    for api in Api::ALL {
        let spec = api.spec().expect("spec");
        let page = render(api, spec, Version::parse("1.0.0").expect("version"));
        for (row_api, id, _) in register::APPLIES {
            if *row_api == api {
                let anchor_id = slug(&["register", id]);
                assert!(
                    row(&page, &anchor_id).contains("](#"),
                    "{api}: register row {id} links to nothing"
                );
            }
        }
    }
}

#[test]
fn cbr_vault_id_is_nullable_and_cites_c2_and_n1() {
    let page = render(
        Api::Cbr,
        Api::Cbr.spec().expect("spec"),
        Version::parse("1.0.0").expect("version"),
    );
    let vault_id = row(
        &page,
        "field-list_op_logs-listoplogsresponse-operation_logs-vault_id",
    );
    assert!(
        vault_id.contains("| string | no | yes |")
            && vault_id.ends_with("| [C2](#register-c2), [N1](#register-n1) |"),
        "{vault_id}"
    );
}
