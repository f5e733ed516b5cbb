//! Objects whose selected fields are all at hand, written as JSON in one synchronous walk.
//!
//! async-graphql resolves each field of each object as a boxed future of its own, merges
//! the results into a map (`IndexMap` keyed by SipHash) and serialises that tree at the
//! end. For a storefront listing that is about 4,000 values (265 variants with a dozen
//! fields each), most of them a string the object already holds. A type that implements
//! [`Immediate`] is wrapped in [`Now`] where it is handed out: its selection set (fields,
//! aliases, fragments, `__typename`) is collected once into a [`Plan`] (GraphQL's
//! CollectFields: fields grouped by response key, the sub-selections of a key selected
//! twice merged), one plan serves every item of a list, and the object is written
//! straight into JSON bytes. The first field that is not at hand (one that awaits a
//! loader, has a guard or needs what the type does not hold here) makes the walk give
//! up and the object goes the derived way instead, so answers and errors are the same
//! either way; only the cost differs.
//!
//! The bytes travel up as one `Value::Binary` when the request is answered over HTTP
//! ([`RawJson`] in its data), whose serialiser ([`write_response`]) copies them in as
//! they are. Elsewhere (subscriptions, direct execution) they are parsed back into a
//! `Value`. They also go back to a `Value` when the operation selects an object field
//! twice under one response key anywhere: async-graphql then merges the two answers
//! itself, which it can only do with values.
//!
//! `@skip` and `@include` need no handling: async-graphql removes the selections they
//! exclude before execution starts, and the schema has no custom directives.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::{Arc, OnceLock};

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use stockade_domain::metrics::Metrics;

/// A GraphQL object that can answer some of its fields without awaiting anything.
pub(crate) trait Immediate {
    /// Its GraphQL type name, for `__typename` and fragment type conditions.
    const TYPE: &'static str;

    /// Writes the value of the field `name` (selected as `selected`), or returns `None`
    /// when it is not at hand (the caller then resolves the whole object the derived way).
    fn write_field<'q>(&self, name: &str, selected: &Selected<'q>, out: &mut Out<'q>) -> Option<()>;
}

/// Marks a request whose response is serialised by [`write_response`], which copies
/// the JSON of [`Now`] objects in as it is.
#[derive(Default)]
pub struct RawJson {
    /// Whether the operation never selects an object field twice under one response key
    /// (worked out on first use).
    merge_free: OnceLock<bool>,
}

/// A selection set on one type with its fragments applied: the fields by response key,
/// in order.
#[derive(Clone)]
pub(crate) struct Plan<'q> {
    entries: Vec<Selected<'q>>,
}

/// One response key of a [`Plan`]: every field selected under it, and the plan of their
/// merged sub-selections (made on first use, then shared by every item of a list).
#[derive(Clone)]
pub(crate) struct Selected<'q> {
    key: &'q str,
    name: &'q str,
    fields: Vec<&'q Field>,
    sub: OnceCell<Option<(&'static str, Plan<'q>)>>,
}

impl<'q> Plan<'q> {
    /// The plan of `sets` (the sub-selections of one response key) on type `ty`, or `None`
    /// if a fragment it spreads is not in the document.
    fn new(ctx: &'q ContextSelectionSet<'q>, ty: &str, sets: impl IntoIterator<Item = &'q SelectionSet>) -> Option<Self> {
        let mut plan = Plan { entries: Vec::new() };
        for set in sets {
            plan.collect(ctx, ty, set)?;
        }
        Some(plan)
    }

    fn collect(&mut self, ctx: &'q ContextSelectionSet<'q>, ty: &str, set: &'q SelectionSet) -> Option<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.response_key().node.as_str();
                    match self.entries.iter_mut().find(|e| e.key == key) {
                        Some(entry) => entry.fields.push(field),
                        None => {
                            self.entries.push(Selected { key, name: field.name.node.as_str(), fields: vec![field], sub: OnceCell::new() })
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = ctx.query_env.fragments.get(&spread.node.fragment_name.node)?;
                    if applies(ctx, ty, &fragment.node.type_condition.node.on.node) {
                        self.collect(ctx, ty, &fragment.node.selection_set.node)?;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = match &fragment.node.type_condition {
                        Some(condition) => applies(ctx, ty, &condition.node.on.node),
                        None => true,
                    };
                    if applies {
                        self.collect(ctx, ty, &fragment.node.selection_set.node)?;
                    }
                }
            }
        }
        Some(())
    }
}

/// Whether a fragment on `condition` applies to an object of type `ty`.
fn applies(ctx: &ContextSelectionSet<'_>, ty: &str, condition: &str) -> bool {
    ty == condition || ctx.schema_env.registry.implements.get(ty).is_some_and(|interfaces| interfaces.contains(condition))
}

/// The JSON being written for one [`Now`] object.
pub(crate) struct Out<'q> {
    ctx: &'q ContextSelectionSet<'q>,
    buf: Vec<u8>,
}

impl<'q> Out<'q> {
    /// The request's context (its data).
    pub fn ctx(&self) -> &'q ContextSelectionSet<'q> {
        self.ctx
    }

    /// `this` as an object with the fields of `plan`.
    fn write_object<T: Immediate + ?Sized>(&mut self, this: &T, plan: &Plan<'q>) -> Option<()> {
        self.buf.push(b'{');
        for (i, selected) in plan.entries.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            // A response key is a GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`, nothing to escape.
            self.buf.push(b'"');
            self.buf.extend_from_slice(selected.key.as_bytes());
            self.buf.extend_from_slice(b"\":");
            if selected.name == "__typename" {
                self.str(T::TYPE);
            } else {
                this.write_field(selected.name, selected, self)?;
            }
        }
        self.buf.push(b'}');
        Some(())
    }

    /// The plan of `selected`'s sub-selections on `T`.
    fn plan_of<'s, T: Immediate + ?Sized>(&self, selected: &'s Selected<'q>) -> Option<Cow<'s, Plan<'q>>> {
        let ctx = self.ctx;
        let sets = || selected.fields.iter().map(|f| &f.selection_set.node);
        match selected.sub.get_or_init(|| Plan::new(ctx, T::TYPE, sets()).map(|plan| (T::TYPE, plan))) {
            Some((ty, plan)) if *ty == T::TYPE => Some(Cow::Borrowed(plan)),
            // The same field holding another type (an interface): planned apart.
            Some(_) => Plan::new(ctx, T::TYPE, sets()).map(Cow::Owned),
            None => None,
        }
    }

    /// `object` with the sub-selection of `selected`.
    pub fn object<T: Immediate + ?Sized>(&mut self, object: &T, selected: &Selected<'q>) -> Option<()> {
        let plan = self.plan_of::<T>(selected)?;
        self.write_object(object, &plan)
    }

    /// `object` with the sub-selection of `selected`, or null.
    pub fn nullable<T: Immediate>(&mut self, object: Option<&T>, selected: &Selected<'q>) -> Option<()> {
        match object {
            Some(object) => self.object(object, selected),
            None => {
                self.buf.extend_from_slice(b"null");
                Some(())
            }
        }
    }

    /// Each item as an object with the sub-selection of `selected` (planned once).
    pub fn list<'t, T: Immediate + 't>(&mut self, items: impl IntoIterator<Item = &'t T>, selected: &Selected<'q>) -> Option<()> {
        let plan = self.plan_of::<T>(selected)?;
        self.buf.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.write_object(item, &plan)?;
        }
        self.buf.push(b']');
        Some(())
    }

    /// A string.
    pub fn str(&mut self, s: &str) {
        write_str(&mut self.buf, s);
    }

    /// A list of strings.
    pub fn strs<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) {
        self.buf.push(b'[');
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write_str(&mut self.buf, s);
        }
        self.buf.push(b']');
    }

    /// An integer.
    pub fn int(&mut self, n: i64) {
        self.buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    /// Any value (an enum, a placeholder), as serde_json writes it.
    pub fn value(&mut self, value: &Value) -> Option<()> {
        serde_json::to_writer(&mut self.buf, value).ok()
    }
}

/// `s` as a JSON string. Text with nothing to escape (nearly all of it) is copied in one
/// go; the rest is escaped by serde_json, so the bytes are what it would have written
/// (the response cache finds its stock placeholders by them).
pub(crate) fn write_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing a `&str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// `this` with the selection of `ctx`, as JSON, or `None` if a selected field is not at hand.
fn render<'q, T: Immediate>(ctx: &'q ContextSelectionSet<'q>, this: &T) -> Option<Vec<u8>> {
    let plan = Plan::new(ctx, T::TYPE, [&ctx.item.node])?;
    // A listed product with its variants is a few kilobytes.
    let mut out = Out { ctx, buf: Vec::with_capacity(4096) };
    out.write_object(this, &plan)?;
    Some(out.buf)
}

/// The fields that hand out [`Now`] objects, as (type, field). Below them the walk's own
/// [`Plan`] merges what is selected twice; a field missing here only makes
/// [`merge_free`] look further, and so err towards "no".
const NOW_FIELDS: [(&str, &str); 3] = [("ProductEdge", "node"), ("Query", "product"), ("Product", "variants")];

/// Whether async-graphql never has to merge two answers of an object field: no
/// selection set above the [`Now`] objects (with the fragments spread into it) selects
/// an object field twice under one response key. Where it does, async-graphql merges the
/// two answers, which it can only do with values, not with ready JSON. Anything it cannot
/// follow (a type or field not in the schema, deep nesting) counts as "no".
fn merge_free(ctx: &ContextSelectionSet<'_>) -> bool {
    use async_graphql::parser::types::OperationType;
    use async_graphql::registry::MetaTypeName;

    fn check<'a>(ctx: &'a ContextSelectionSet<'_>, ty: &str, set: &'a SelectionSet, keys: &mut Vec<&'a str>, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        let registry = &ctx.schema_env.registry;
        for selection in &set.items {
            let ok = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let key = field.response_key().node.as_str();
                    if keys.contains(&key) {
                        return false;
                    }
                    keys.push(key);
                    let name = field.name.node.as_str();
                    if NOW_FIELDS.contains(&(ty, name)) {
                        continue;
                    }
                    match registry.types.get(ty).and_then(|t| t.field_by_name(name)) {
                        Some(meta) => {
                            let inner = MetaTypeName::concrete_typename(&meta.ty);
                            check(ctx, inner, &field.selection_set.node, &mut Vec::new(), depth + 1)
                        }
                        None => false,
                    }
                }
                Selection::FragmentSpread(spread) => match ctx.query_env.fragments.get(&spread.node.fragment_name.node) {
                    Some(fragment) => {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        check(ctx, on, &fragment.node.selection_set.node, keys, depth + 1)
                    }
                    None => false,
                },
                Selection::InlineFragment(fragment) => {
                    let on = fragment.node.type_condition.as_ref().map_or(ty, |c| c.node.on.node.as_str());
                    check(ctx, on, &fragment.node.selection_set.node, keys, depth + 1)
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }
    let registry = &ctx.schema_env.registry;
    let operation = &ctx.query_env.operation.node;
    let root = match operation.ty {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    };
    root.is_some_and(|root| check(ctx, root, &operation.selection_set.node, &mut Vec::new(), 0))
}

/// An [`Immediate`] object as async-graphql sees it: the same GraphQL type as `T`,
/// answered by one walk when every selected field is at hand, else by `T` itself.
pub struct Now<T>(pub T);

impl<T: Immediate + OutputType> OutputType for Now<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let record = |result| {
            if let Some(metrics) = ctx.data_opt::<Arc<Metrics>>() {
                metrics.record_walk(result);
            }
        };
        if let Some(json) = render(ctx, &self.0) {
            let raw = ctx.data_opt::<RawJson>().is_some_and(|raw| *raw.merge_free.get_or_init(|| merge_free(ctx)));
            if raw {
                record("json");
                return Ok(Value::Binary(json.into()));
            }
            if let Ok(value) = serde_json::from_slice(&json) {
                record("value");
                return Ok(value);
            }
        }
        record("derived");
        self.0.resolve(ctx, field).await
    }
}

/// A response as JSON, the way async-graphql serialises it, except that `Value::Binary`
/// (only ever made by [`Now`] for a [`RawJson`] request) is JSON already and is copied in.
pub fn write_response(response: &async_graphql::Response) -> serde_json::Result<Vec<u8>> {
    // Sized up front: growing a 59 KB listing from a small buffer copied it about 4 times.
    let mut buf = Vec::with_capacity(1024 + json_len(&response.data));
    buf.extend_from_slice(b"{\"data\":");
    write_value(&mut buf, &response.data)?;
    // The other members, in async-graphql's order, each only when it has something.
    if !response.extensions.is_empty() {
        buf.extend_from_slice(b",\"extensions\":");
        serde_json::to_writer(&mut buf, &response.extensions)?;
    }
    if !response.errors.is_empty() {
        buf.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut buf, &response.errors)?;
    }
    buf.push(b'}');
    Ok(buf)
}

/// About how long `value` is as JSON: exact for ready JSON, a guess for the rest.
fn json_len(value: &Value) -> usize {
    match value {
        Value::Binary(json) => json.len(),
        Value::String(s) => s.len() + 2,
        Value::List(items) => items.iter().map(|item| json_len(item) + 1).sum::<usize>() + 2,
        Value::Object(map) => map.iter().map(|(key, item)| key.len() + 4 + json_len(item)).sum::<usize>() + 2,
        _ => 8,
    }
}

fn write_value(buf: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::Binary(json) => buf.extend_from_slice(json),
        Value::String(s) => write_str(buf, s),
        Value::List(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_value(buf, item)?;
            }
            buf.push(b']');
        }
        Value::Object(map) => {
            buf.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_str(buf, key);
                buf.push(b':');
                write_value(buf, item)?;
            }
            buf.push(b'}');
        }
        other => serde_json::to_writer(&mut *buf, other)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in ["", "plain", "quote \" and \\ back", "nul \u{0}7f3:12", "tab\tnew\nline", "naïve ☃ 😀", "\u{7f}\u{1f}"] {
            let mut buf = Vec::new();
            write_str(&mut buf, s);
            assert_eq!(String::from_utf8(buf).unwrap(), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn a_response_is_written_as_async_graphql_writes_it_with_raw_json_copied_in() {
        let mut response = async_graphql::Response::new(async_graphql::value!({
            "a": [1, "two\"", null, true, { "b": 2.5 }],
            "e": "ok",
        }));
        assert_eq!(write_response(&response).unwrap(), serde_json::to_vec(&response).unwrap());
        response.errors.push(async_graphql::ServerError::new("bad", None));
        response.extensions.insert("x".into(), Value::from(1));
        assert_eq!(write_response(&response).unwrap(), serde_json::to_vec(&response).unwrap());

        let raw = async_graphql::Response::new(Value::List(vec![Value::Binary(br#"{"id":"x","n":[1,2]}"#.to_vec().into())]));
        assert_eq!(String::from_utf8(write_response(&raw).unwrap()).unwrap(), r#"{"data":[{"id":"x","n":[1,2]}]}"#);
    }
}
