//! The rules that classify changes ([`Rule`], one per kind of change, with the impact it gives
//! on each side), and the principle they follow ([`classify`]).

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

use super::{Impact, Side};
use Impact::{Breaking, Compatible, Documentation, StrictReaders};

/// Declares [`Rule`] and [`Rule::ALL`] from one list, so that a new variant is in `ALL` (and so in
/// the README's policy table and the fixture check) without a second list to keep in step.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// The rule that classified a [`Change`](super::Change): one kind of change, with the impact
        /// it gives on each side ([`Rule::policy`]). Reports name it by its [`id`](Rule::id)
        /// (`enum-widened`); the README's "diff policy" table is [`Rule::ALL`], and a test keeps
        /// the two equal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in the order of the README's policy table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];
        }
    };
}

rules! {
    /// An operation is gone.
    OperationRemoved,
    /// A new operation.
    OperationAdded,
    /// A parameter is gone.
    ParameterRemoved,
    /// A new parameter.
    ParameterAdded,
    /// A parameter's serialisation (`style`, `explode`, ...) changed.
    ParameterStyleChanged,
    /// A parameter, request body or property became required.
    RequiredAdded,
    /// A parameter, request body or property became optional.
    RequiredRemoved,
    /// The request body is gone.
    RequestBodyRemoved,
    /// A request body where there was none.
    RequestBodyAdded,
    /// A media type is gone.
    MediaTypeRemoved,
    /// A new media type.
    MediaTypeAdded,
    /// A documented response status is gone.
    StatusRemoved,
    /// A new response status.
    StatusAdded,
    /// A response header is gone.
    HeaderRemoved,
    /// A new response header.
    HeaderAdded,
    /// A way to authenticate is no longer accepted.
    SecurityRequirementRemoved,
    /// A new way to authenticate is accepted.
    SecurityRequirementAdded,
    /// A security scheme's type, location or name changed.
    SecuritySchemeChanged,
    /// A component schema (a published schema file) is gone.
    ComponentRemoved,
    /// A new component schema.
    ComponentAdded,
    /// The type changed.
    TypeChanged,
    /// `null` became allowed.
    NullableAdded,
    /// `null` is no longer allowed.
    NullableRemoved,
    /// Enum values added, or the enum dropped.
    EnumWidened,
    /// Enum values removed, or an enum added.
    EnumNarrowed,
    /// A bound tightened.
    BoundsTightened,
    /// A bound loosened or dropped.
    BoundsLoosened,
    /// A pattern added, removed or changed.
    PatternChanged,
    /// A format added, removed or changed.
    FormatChanged,
    /// A default changed.
    DefaultChanged,
    /// An object property is gone.
    PropertyRemoved,
    /// A new object property.
    PropertyAdded,
    /// Unknown properties are now allowed.
    AdditionalPropertiesOpened,
    /// Unknown properties are no longer allowed, or constrained by a schema.
    AdditionalPropertiesClosed,
    /// A `oneOf`/`anyOf` branch or an `allOf` member added.
    VariantAdded,
    /// A `oneOf`/`anyOf` branch or an `allOf` member removed.
    VariantRemoved,
    /// Any other schema keyword changed.
    KeywordChanged,
    /// Descriptions, examples, extensions: what documents but does not go over the wire.
    DocumentationChanged,
}

/// How a rule classifies the changes it finds on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Every impact the rule may give a change there: one, or several when it depends on the
    /// change (whether a new parameter is required, whether a type widened or narrowed).
    pub impacts: &'static [Impact],
    /// When it gives which, for people (`breaking if required, else compatible`); it names each
    /// of [`impacts`](Policy::impacts) and no other impact.
    pub when: &'static str,
}

/// What [`Rule::entry`] says of a rule: its id, what it covers, and its policy per side.
struct Entry {
    id: &'static str,
    description: &'static str,
    request: Option<Policy>,
    response: Option<Policy>,
}

/// A policy that gives one impact, named by itself.
const BREAKING: Option<Policy> = one(Breaking, "breaking");
const COMPATIBLE: Option<Policy> = one(Compatible, "compatible");
const STRICT_READERS: Option<Policy> = one(StrictReaders, "strict-readers");
const DOCUMENTATION: Option<Policy> = one(Documentation, "documentation");
/// Breaking when the new item is required, compatible when it is optional.
const BREAKING_IF_REQUIRED: Option<Policy> = Some(Policy {
    impacts: &[Breaking, Compatible],
    when: "breaking if required, else compatible",
});

const fn one(impact: Impact, when: &'static str) -> Option<Policy> {
    let impacts: &'static [Impact] = match impact {
        Breaking => &[Breaking],
        StrictReaders => &[StrictReaders],
        Compatible => &[Compatible],
        Documentation => &[Documentation],
    };
    Some(Policy { impacts, when })
}

const fn either(impacts: &'static [Impact], when: &'static str) -> Option<Policy> {
    Some(Policy { impacts, when })
}

impl Rule {
    /// The id reports name it by (`enum-widened`): kebab-case, stable across releases, and the
    /// name of its fixture directory (`tests/fixtures/diff/<id>/`).
    pub const fn id(self) -> &'static str {
        self.entry().id
    }

    /// What kind of change it covers, in words (a cell of the README's policy table).
    pub const fn description(self) -> &'static str {
        self.entry().description
    }

    /// How it classifies changes on `side`; `None` when it never reports a change there (an
    /// operation's removal is a request-side change, a status's a response-side one).
    pub const fn policy(self, side: Side) -> Option<Policy> {
        match side {
            Side::Request => self.entry().request,
            Side::Response => self.entry().response,
        }
    }

    /// Every impact it may give a change on `side`: empty when it never reports one there.
    pub const fn impacts(self, side: Side) -> &'static [Impact] {
        match self.policy(side) {
            Some(policy) => policy.impacts,
            None => &[],
        }
    }

    /// The one table of what each rule is. The cells are the README's policy table; the walker
    /// and the schema comparison give impacts within [`Policy::impacts`] (checked when debug
    /// assertions are on, and by the fixture tests).
    const fn entry(self) -> Entry {
        const fn entry(
            id: &'static str,
            description: &'static str,
            request: Option<Policy>,
            response: Option<Policy>,
        ) -> Entry {
            Entry {
                id,
                description,
                request,
                response,
            }
        }
        match self {
            Rule::OperationRemoved => {
                entry("operation-removed", "an operation is gone", BREAKING, None)
            }
            Rule::OperationAdded => entry("operation-added", "a new operation", COMPATIBLE, None),
            Rule::ParameterRemoved => {
                entry("parameter-removed", "a parameter is gone", BREAKING, None)
            }
            Rule::ParameterAdded => entry(
                "parameter-added",
                "a new parameter",
                BREAKING_IF_REQUIRED,
                None,
            ),
            Rule::ParameterStyleChanged => entry(
                "parameter-style-changed",
                "a parameter's `style`, `explode`, `allowReserved` or `allowEmptyValue` changed",
                BREAKING,
                None,
            ),
            Rule::RequiredAdded => entry(
                "required-added",
                "a parameter, request body or property became required",
                BREAKING,
                COMPATIBLE,
            ),
            Rule::RequiredRemoved => entry(
                "required-removed",
                "a parameter, request body or property became optional",
                COMPATIBLE,
                BREAKING,
            ),
            Rule::RequestBodyRemoved => entry(
                "request-body-removed",
                "the request body is gone",
                BREAKING,
                None,
            ),
            Rule::RequestBodyAdded => entry(
                "request-body-added",
                "a request body where there was none",
                BREAKING_IF_REQUIRED,
                None,
            ),
            Rule::MediaTypeRemoved => entry(
                "media-type-removed",
                "a request or response media type is gone",
                BREAKING,
                BREAKING,
            ),
            Rule::MediaTypeAdded => entry(
                "media-type-added",
                "a new media type",
                COMPATIBLE,
                COMPATIBLE,
            ),
            Rule::StatusRemoved => entry(
                "status-removed",
                "a documented response status is gone",
                None,
                BREAKING,
            ),
            Rule::StatusAdded => entry("status-added", "a new response status", None, COMPATIBLE),
            Rule::HeaderRemoved => entry(
                "header-removed",
                "a response header is gone",
                None,
                BREAKING,
            ),
            Rule::HeaderAdded => entry("header-added", "a new response header", None, COMPATIBLE),
            Rule::SecurityRequirementRemoved => entry(
                "security-requirement-removed",
                "a way to authenticate is no longer accepted",
                BREAKING,
                None,
            ),
            Rule::SecurityRequirementAdded => entry(
                "security-requirement-added",
                "a new way to authenticate is accepted",
                COMPATIBLE,
                None,
            ),
            Rule::SecuritySchemeChanged => entry(
                "security-scheme-changed",
                "a security scheme's type, location or name changed",
                BREAKING,
                None,
            ),
            Rule::ComponentRemoved => entry(
                "component-removed",
                "a component schema (a published schema file) is gone",
                None,
                BREAKING,
            ),
            Rule::ComponentAdded => entry(
                "component-added",
                "a new component schema",
                None,
                COMPATIBLE,
            ),
            Rule::TypeChanged => entry(
                "type-changed",
                "the type changed (`null` aside: that is nullability)",
                either(
                    &[Compatible, Breaking],
                    "compatible when widened (`integer` to `number`, a type added), else breaking",
                ),
                either(
                    &[Compatible, Breaking],
                    "compatible when narrowed, else breaking",
                ),
            ),
            Rule::NullableAdded => entry(
                "nullable-added",
                "`null` became allowed",
                COMPATIBLE,
                BREAKING,
            ),
            Rule::NullableRemoved => entry(
                "nullable-removed",
                "`null` is no longer allowed",
                BREAKING,
                COMPATIBLE,
            ),
            Rule::EnumWidened => entry(
                "enum-widened",
                "enum values added, or the enum dropped",
                COMPATIBLE,
                STRICT_READERS,
            ),
            Rule::EnumNarrowed => entry(
                "enum-narrowed",
                "enum values removed, or an enum added",
                BREAKING,
                COMPATIBLE,
            ),
            Rule::BoundsTightened => entry(
                "bounds-tightened",
                "a minimum, maximum, length, item count, `uniqueItems` or `multipleOf` tightened \
                 (or changed, neither tighter nor looser)",
                BREAKING,
                either(
                    &[Compatible, StrictReaders],
                    "compatible; strict-readers when neither tighter nor looser \
                     (`multipleOf` 2 to 3)",
                ),
            ),
            Rule::BoundsLoosened => entry(
                "bounds-loosened",
                "such a bound loosened or dropped",
                COMPATIBLE,
                STRICT_READERS,
            ),
            Rule::PatternChanged => entry(
                "pattern-changed",
                "a pattern added, removed or changed",
                either(
                    &[Breaking, Compatible],
                    "breaking when added or changed, compatible when removed",
                ),
                either(
                    &[Compatible, StrictReaders],
                    "compatible when added, strict-readers when removed or changed",
                ),
            ),
            Rule::FormatChanged => entry(
                "format-changed",
                "a format added, removed or changed",
                either(
                    &[Compatible, Breaking],
                    "compatible when it widens (`int32` to `int64`, a format removed), \
                     else breaking",
                ),
                either(
                    &[Compatible, Breaking],
                    "compatible when it narrows (`int64` to `int32`, a format added), \
                     else breaking",
                ),
            ),
            Rule::DefaultChanged => entry(
                "default-changed",
                "a default changed",
                one(
                    Breaking,
                    "breaking (callers that omit the value get other behaviour)",
                ),
                DOCUMENTATION,
            ),
            Rule::PropertyRemoved => entry(
                "property-removed",
                "an object property is gone",
                BREAKING,
                BREAKING,
            ),
            Rule::PropertyAdded => entry(
                "property-added",
                "a new object property",
                BREAKING_IF_REQUIRED,
                either(
                    &[StrictReaders, Compatible],
                    "strict-readers in a closed object, else compatible",
                ),
            ),
            Rule::AdditionalPropertiesOpened => entry(
                "additional-properties-opened",
                "unknown properties now allowed, or no longer constrained by a schema",
                COMPATIBLE,
                STRICT_READERS,
            ),
            Rule::AdditionalPropertiesClosed => entry(
                "additional-properties-closed",
                "unknown properties no longer allowed, or now constrained by a schema",
                BREAKING,
                COMPATIBLE,
            ),
            Rule::VariantAdded => entry(
                "variant-added",
                "a `oneOf`/`anyOf` branch or an `allOf` member added",
                either(
                    &[Compatible, Breaking],
                    "compatible for a branch (widens), breaking for an `allOf` member (narrows)",
                ),
                either(
                    &[Breaking, Compatible],
                    "breaking for a branch, compatible for an `allOf` member",
                ),
            ),
            Rule::VariantRemoved => entry(
                "variant-removed",
                "a `oneOf`/`anyOf` branch or an `allOf` member removed",
                either(
                    &[Breaking, Compatible],
                    "breaking for a branch (narrows), compatible for an `allOf` member (widens)",
                ),
                either(
                    &[Compatible, Breaking],
                    "compatible for a branch, breaking for an `allOf` member",
                ),
            ),
            Rule::KeywordChanged => entry(
                "keyword-changed",
                "any other schema keyword changed (breaking until a rule says otherwise)",
                BREAKING,
                BREAKING,
            ),
            Rule::DocumentationChanged => entry(
                "documentation-changed",
                "descriptions, summaries, examples, `operationId`, `tags`, `x-*` extensions, servers",
                DOCUMENTATION,
                DOCUMENTATION,
            ),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A rule is written as its id, as it was when rules were strings: reports and their JSON read
/// the same.
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// Rules order by id, so changes sort as they did when rules were strings and the order of a
/// report does not depend on the order of the variants.
impl Ord for Rule {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id().cmp(other.id())
    }
}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Whether a change lets more values through (widens), fewer (narrows), or neither cleanly.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Widened,
    Narrowed,
    Changed,
}

/// The impact of a change of `shape` on `side`; `tolerated` marks what this crate's reader
/// ignores (enums, bounds, patterns, unknown fields).
pub(super) fn classify(side: Side, shape: Shape, tolerated: bool) -> Impact {
    match (side, shape) {
        (Side::Request, Shape::Widened) => Impact::Compatible,
        (Side::Request, _) => Impact::Breaking,
        (Side::Response, Shape::Narrowed) => Impact::Compatible,
        (Side::Response, _) if tolerated => Impact::StrictReaders,
        (Side::Response, _) => Impact::Breaking,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_order_rules() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert!(ids.iter().all(|id| {
            !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        }));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len(), "two rules share an id");
        assert!(Rule::EnumNarrowed < Rule::EnumWidened);
        assert!(Rule::VariantRemoved > Rule::OperationAdded);
        assert_eq!(
            serde_json::to_value(Rule::EnumWidened).expect("serialises"),
            "enum-widened"
        );
        assert_eq!(Rule::KeywordChanged.to_string(), "keyword-changed");
    }

    /// The words of a policy are what the README shows: they must say exactly the impacts the
    /// code may give, no more and no fewer.
    #[test]
    fn each_policy_names_exactly_its_impacts() {
        let all = [Breaking, StrictReaders, Compatible, Documentation];
        for rule in Rule::ALL {
            assert!(
                !rule.description().is_empty() && !rule.description().contains('|'),
                "{rule}: a description, and no `|` to break the table"
            );
            let mut sides = 0;
            for side in [Side::Request, Side::Response] {
                let Some(policy) = rule.policy(side) else {
                    continue;
                };
                sides += 1;
                assert!(!policy.when.contains('|'), "{rule} {side}: no `|`");
                for impact in all {
                    assert_eq!(
                        policy.when.contains(&impact.to_string()),
                        policy.impacts.contains(&impact),
                        "{rule} on the {side} side: {:?} and {:?} disagree about {impact}",
                        policy.when,
                        policy.impacts
                    );
                }
            }
            assert!(sides > 0, "{rule} applies to no side");
        }
    }
}
