//! Admission of GraphQL documents: bounds checked before anything walks a document
//! recursively or expands its fragments, so the work a request can cause is in
//! proportion to its size.
//!
//! 1. [`check_text`] scans the raw text once, without recursion, and refuses brackets
//!    (`{`, `[`, `(`) nested deeper than [`MAX_NESTING`]. The parser, the validator
//!    and value conversion all recurse over nesting; a 4 KB literal nested 2,000 deep
//!    would otherwise overflow the stack and abort the process.
//! 2. [`check_document`] walks the parsed document once, computing each fragment's
//!    size and depth a single time (memoised), and refuses operations that would
//!    expand to more than `max_fields` fields (fragment fan-out: `...F0 ...F0` doubled
//!    n times is 2^n fields in a 1 KB document), select more than `max_root_fields`
//!    root fields (each may run its own queries; aliases would multiply them), or nest
//!    fields deeper than `max_depth`. Introspection (`__schema`, `__type`) is measured
//!    apart: its `ofType` chains are deep by design, so its depth is not counted, but
//!    its list fields (`fields`, `inputFields`, `interfaces`, `possibleTypes`) may nest
//!    at most [`MAX_INTROSPECTION_LIST_DEPTH`] levels (graphql-js's
//!    `MaxIntrospectionDepthRule`), and with introspection off it is refused outright.
//!
//! Everything here is linear in the document's size and recursion is bounded by the
//! nesting already checked.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{Pos, ServerError};

use super::error::code;

/// Deepest bracket nesting accepted in a document's text. Far above any real query
/// (depth 12 of selections plus nested input values), far below what overflows a
/// worker's stack.
pub const MAX_NESTING: usize = 100;

/// How many introspection list fields may nest inside each other (`fields { type {
/// fields { ... } } }`): 3 would let one query multiply every type by every field
/// twice over.
pub const MAX_INTROSPECTION_LIST_DEPTH: usize = 2;

/// The document limits of one schema.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    pub max_depth: usize,
    pub max_fields: usize,
    pub max_root_fields: usize,
    pub introspection: bool,
}

fn refuse(error_code: &str, message: String, pos: Option<Pos>) -> ServerError {
    let mut err = ServerError::new(message, pos);
    err.extensions.get_or_insert_with(Default::default).set("code", error_code);
    err
}

/// Refuses a document whose brackets nest deeper than [`MAX_NESTING`]. Strings, block
/// strings and comments are skipped as GraphQL's lexer would.
pub fn check_text(query: &str) -> Result<(), ServerError> {
    let bytes = query.as_bytes();
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        column += 1;
        match b {
            b'\n' => {
                line += 1;
                column = 0;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                        continue;
                    }
                    if bytes[i] == b'\n' {
                        line += 1;
                        column = 0;
                    }
                    i += 1;
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(refuse(
                        code::QUERY_TOO_DEEP,
                        format!("the document nests brackets more than {MAX_NESTING} levels deep"),
                        Some(Pos { line, column }),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Size and depth of a selection set once its fragments are expanded.
#[derive(Clone, Copy, Default)]
struct Measure {
    /// Fields, counting each expansion of a fragment.
    fields: usize,
    /// Deepest chain of fields with sub-selections (leaves count 1), outside introspection.
    depth: usize,
    /// Deepest nesting of introspection list fields.
    introspection_lists: usize,
    /// Fields at this level (through fragments), `__typename` aside: for the root
    /// selection set, the root fields.
    top: usize,
    /// Whether this level selects `__schema` or `__type`.
    introspects: bool,
}

impl Measure {
    fn merge(self, other: Measure) -> Measure {
        Measure {
            fields: self.fields.saturating_add(other.fields),
            depth: self.depth.max(other.depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
            top: self.top.saturating_add(other.top),
            introspects: self.introspects || other.introspects,
        }
    }
}

const INTROSPECTION_LISTS: &[&str] = &["fields", "inputFields", "interfaces", "possibleTypes"];

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    /// Measured fragments, by (name, inside introspection).
    memo: HashMap<(&'a str, bool), Measure>,
    /// Fragments being measured (a cycle is a validation error reported later; here
    /// it counts nothing).
    active: Vec<(&'a str, bool)>,
}

impl<'a> Walker<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, introspection: bool) -> Measure {
        let mut total = Measure::default();
        for item in &set.items {
            let measure = match &item.node {
                Selection::Field(field) => self.field(&field.node, introspection),
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set.node, introspection),
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str(), introspection),
            };
            total = total.merge(measure);
        }
        total
    }

    fn field(&mut self, field: &'a Field, introspection: bool) -> Measure {
        let name = field.name.node.as_str();
        let introspects = name == "__schema" || name == "__type";
        let inside = introspection || introspects;
        let below = self.selection_set(&field.selection_set.node, inside);
        let is_list = inside && INTROSPECTION_LISTS.contains(&name);
        Measure {
            fields: below.fields.saturating_add(1),
            depth: if inside { 0 } else { below.depth + 1 },
            introspection_lists: below.introspection_lists + usize::from(is_list),
            top: usize::from(name != "__typename"),
            introspects,
        }
    }

    fn fragment(&mut self, name: &'a str, introspection: bool) -> Measure {
        let key = (name, introspection);
        if let Some(measure) = self.memo.get(&key) {
            return *measure;
        }
        if self.active.contains(&key) {
            return Measure::default();
        }
        let Some(fragment) = self.doc.fragments.get(name) else { return Measure::default() };
        self.active.push(key);
        let measure = self.selection_set(&fragment.node.selection_set.node, introspection);
        self.active.pop();
        self.memo.insert(key, measure);
        measure
    }
}

/// Refuses documents whose operations expand past the limits (see the module docs).
/// Every operation is checked, not only the selected one: validation walks them all.
pub fn check_document(doc: &ExecutableDocument, limits: &DocumentLimits) -> Result<(), ServerError> {
    let mut walker = Walker { doc, memo: HashMap::new(), active: Vec::new() };
    for (_, operation) in doc.operations.iter() {
        let pos = Some(operation.pos);
        let set = &operation.node.selection_set.node;
        let measure = walker.selection_set(set, false);
        if !limits.introspection && measure.introspects {
            return Err(refuse(code::INTROSPECTION_DISABLED, "introspection is disabled on this server".into(), pos));
        }
        let root_fields = measure.top;
        if root_fields > limits.max_root_fields {
            return Err(refuse(
                code::QUERY_TOO_COMPLEX,
                format!("an operation may select at most {} root fields (this one selects {root_fields})", limits.max_root_fields),
                pos,
            ));
        }
        if measure.fields > limits.max_fields {
            return Err(refuse(
                code::QUERY_TOO_COMPLEX,
                format!("an operation may select at most {} fields once its fragments are expanded", limits.max_fields),
                pos,
            ));
        }
        if measure.depth > limits.max_depth {
            return Err(refuse(code::QUERY_TOO_DEEP, format!("fields may nest at most {} levels deep", limits.max_depth), pos));
        }
        if measure.introspection_lists > MAX_INTROSPECTION_LIST_DEPTH {
            return Err(refuse(
                code::QUERY_TOO_DEEP,
                format!(
                    "introspection may nest fields, inputFields, interfaces and possibleTypes at most {MAX_INTROSPECTION_LIST_DEPTH} levels deep"
                ),
                pos,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DocumentLimits = DocumentLimits { max_depth: 12, max_fields: 2_000, max_root_fields: 20, introspection: true };

    fn check(query: &str) -> Result<(), String> {
        check_text(query).map_err(|e| e.message)?;
        let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        check_document(&doc, &LIMITS).map_err(|e| e.message)
    }

    fn nested_list(depth: usize) -> String {
        format!("{{ products(filter: {{ search: {}\"a\"{} }}) {{ totalCount }} }}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn text_nesting_is_bounded_without_recursion() {
        assert!(check_text(&nested_list(90)).is_ok());
        let err = check_text(&nested_list(2_000)).unwrap_err();
        assert_eq!(err.extensions.unwrap().get("code"), Some(&async_graphql::Value::from("QUERY_TOO_DEEP")));
        // Brackets inside strings, block strings and comments do not count.
        let quoted = format!("{{ a(x: \"{}\", y: \"\"\"{}\\\"\"\"\"\"\") # {}\n }}", "[".repeat(500), "{".repeat(500), "(".repeat(500));
        assert!(check_text(&quoted).is_ok());
        // A string with escaped quotes ends where GraphQL says it does.
        assert!(check_text(&format!("{{ a(x: \"\\\"{}\") }}", "[".repeat(200))).is_ok());
        assert!(check_text(&format!("{{ a(x: \"\\\\\" {} ) }}", "[".repeat(200))).is_err());
    }

    #[test]
    fn fragment_fan_out_is_refused_in_linear_time() {
        let mut query = String::from("query { ...F30 }\nfragment F0 on Query { __typename }\n");
        for n in 1..=30 {
            query.push_str(&format!("fragment F{n} on Query {{ ...F{p} ...F{p} }}\n", p = n - 1));
        }
        let err = check(&query).unwrap_err();
        assert!(err.contains("at most 2000 fields"), "{err}");
        // Root fields are counted through the same memo (this would take 2^60 steps).
        let mut wide = String::from("query { ...R60 }\nfragment R0 on Query { products { totalCount } }\n");
        for n in 1..=60 {
            wide.push_str(&format!("fragment R{n} on Query {{ ...R{p} ...R{p} }}\n", p = n - 1));
        }
        assert!(check(&wide).unwrap_err().contains("root fields"));
    }

    #[test]
    fn root_fields_are_capped_across_aliases_and_fragments() {
        let aliases: String = (0..21).map(|i| format!("a{i}: products(first: 1) {{ totalCount }} ")).collect();
        assert!(check(&format!("{{ {aliases} }}")).unwrap_err().contains("at most 20 root fields"));
        let twenty: String = (0..20).map(|i| format!("a{i}: products(first: 1) {{ totalCount }} ")).collect();
        assert!(check(&format!("{{ {twenty} __typename }}")).is_ok());
        let via_fragment = format!("{{ ...R ... on Query {{ b: categories {{ id }} }} }} fragment R on Query {{ {twenty} }}");
        assert!(check(&via_fragment).unwrap_err().contains("root fields"));
    }

    #[test]
    fn depth_counts_through_fragments_but_not_introspection_type_chains() {
        let deep = format!("{{ {}id{} }}", "a { ".repeat(13), " }".repeat(13));
        assert!(check(&deep).unwrap_err().contains("at most 12 levels"));
        let ok = format!("{{ {}id{} }}", "a { ".repeat(11), " }".repeat(11));
        assert!(check(&ok).is_ok());
        let through_fragment = format!("{{ a {{ ...F }} }} fragment F on A {{ {}id{} }}", "b { ".repeat(12), " }".repeat(12));
        assert!(check(&through_fragment).is_err());
        let type_ref =
            format!("{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}", "ofType { ".repeat(12), " }".repeat(12));
        assert!(check(&type_ref).is_ok());
        let fan_out = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        assert!(check(fan_out).unwrap_err().contains("introspection"));
    }

    #[test]
    fn introspection_can_be_refused() {
        let doc = async_graphql::parser::parse_query("{ __schema { queryType { name } } }").unwrap();
        let off = DocumentLimits { introspection: false, ..LIMITS };
        assert!(check_document(&doc, &off).unwrap_err().message.contains("disabled"));
        let typename = async_graphql::parser::parse_query("{ __typename }").unwrap();
        assert!(check_document(&typename, &off).is_ok());
    }

    #[test]
    fn cyclic_fragments_terminate() {
        assert!(check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }").is_ok());
    }
}
