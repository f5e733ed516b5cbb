//! Objects whose selected fields are all at hand, answered in one synchronous walk.
//!
//! async-graphql resolves each field of each object as a boxed future of its own, run
//! in a `FuturesUnordered` and merged into a map. For a storefront listing that is
//! about 4,000 futures (265 variants with a dozen fields each), most of them returning a
//! string the object already holds, and that bookkeeping was the largest part of the
//! request's CPU. A type that implements [`Immediate`] is wrapped in [`Now`] where
//! lists of it are handed out: its selection set (fields, aliases, fragments,
//! `__typename`) is walked once and its values built directly. The first field that is
//! not at hand (one that awaits a loader, has a guard or takes arguments the type does
//! not read here) makes the walk give up and the object goes the derived way instead, so
//! answers and errors are the same either way; only the cost differs.
//!
//! `@skip` and `@include` need no handling: async-graphql removes the selections they
//! exclude before execution starts, and the schema has no custom directives.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// A GraphQL object that can answer some of its fields without awaiting anything.
pub(crate) trait Immediate {
    /// Its GraphQL type name, for `__typename` and fragment type conditions.
    const TYPE: &'static str;

    /// The value of `field`, or `None` when it is not at hand (the caller then
    /// resolves the whole object the derived way).
    fn field_now(&self, field: &Field, walk: &Walk<'_>) -> Option<Value>;
}

/// One walk over a request's selection sets: what fragments and type conditions need.
pub(crate) struct Walk<'a> {
    pub ctx: &'a ContextSelectionSet<'a>,
}

impl<'a> Walk<'a> {
    pub fn new(ctx: &'a ContextSelectionSet<'a>) -> Self {
        Walk { ctx }
    }

    /// `this` as an object with the fields of `set`, or `None` if one is not at hand.
    pub fn object<T: Immediate + ?Sized>(&self, this: &T, set: &SelectionSet) -> Option<Value> {
        let mut out = IndexMap::with_capacity(set.items.len());
        self.collect(this, set, &mut out)?;
        Some(Value::Object(out))
    }

    /// Each item as an object with the fields of `set`.
    pub fn list<'t, T: Immediate + 't>(&self, items: impl ExactSizeIterator<Item = &'t T>, set: &SelectionSet) -> Option<Value> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.object(item, set)?);
        }
        Some(Value::List(out))
    }

    fn collect<T: Immediate + ?Sized>(&self, this: &T, set: &SelectionSet, out: &mut IndexMap<Name, Value>) -> Option<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let value =
                        if field.name.node == "__typename" { Value::String(T::TYPE.to_owned()) } else { this.field_now(field, self)? };
                    merge(out, field.response_key().node.clone(), value);
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = self.ctx.query_env.fragments.get(&spread.node.fragment_name.node)?;
                    if self.applies(T::TYPE, &fragment.node.type_condition.node.on.node) {
                        self.collect(this, &fragment.node.selection_set.node, out)?;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = match &fragment.node.type_condition {
                        Some(condition) => self.applies(T::TYPE, &condition.node.on.node),
                        None => true,
                    };
                    if applies {
                        self.collect(this, &fragment.node.selection_set.node, out)?;
                    }
                }
            }
        }
        Some(())
    }

    /// Whether a fragment on `condition` applies to an object of type `ty`.
    fn applies(&self, ty: &str, condition: &str) -> bool {
        ty == condition || self.ctx.schema_env.registry.implements.get(ty).is_some_and(|interfaces| interfaces.contains(condition))
    }
}

/// Adds `value` under `key`; a key selected twice (a field and a fragment asking for
/// different parts of it) gets the parts of both, as GraphQL's field merging requires.
fn merge(out: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    let mut slot = match out.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            return;
        }
        Entry::Occupied(slot) => slot,
    };
    match (slot.get_mut(), value) {
        (Value::Object(into), Value::Object(from)) => {
            for (k, v) in from {
                merge(into, k, v);
            }
        }
        (Value::List(into), Value::List(from)) => {
            for (item, from) in into.iter_mut().zip(from) {
                if let (Value::Object(item), Value::Object(from)) = (item, from) {
                    for (k, v) in from {
                        merge(item, k, v);
                    }
                }
            }
        }
        // The same scalar twice: validation made sure both selections agree.
        _ => {}
    }
}

/// A string value.
pub(crate) fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// `object` with the sub-selection of `field`, or null.
pub(crate) fn nested<T: Immediate>(walk: &Walk<'_>, field: &Field, object: Option<&T>) -> Option<Value> {
    match object {
        Some(object) => walk.object(object, &field.selection_set.node),
        None => Some(Value::Null),
    }
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
        if let Some(value) = Walk::new(ctx).object(&self.0, &ctx.item.node) {
            return Ok(value);
        }
        self.0.resolve(ctx, field).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (Name::new(k), v.clone())).collect())
    }

    #[test]
    fn a_key_selected_twice_gets_the_parts_of_both() {
        let mut out = IndexMap::new();
        merge(&mut out, Name::new("price"), obj(&[("amount", Value::from(5))]));
        merge(&mut out, Name::new("price"), obj(&[("formatted", text("$0.05")), ("amount", Value::from(5))]));
        merge(&mut out, Name::new("sku"), text("A"));
        merge(&mut out, Name::new("sku"), text("A"));
        let list = |v: Value| Value::List(vec![v]);
        merge(&mut out, Name::new("attributes"), list(obj(&[("name", text("color"))])));
        merge(&mut out, Name::new("attributes"), list(obj(&[("value", text("Navy"))])));
        assert_eq!(
            Value::Object(out),
            obj(&[
                ("price", obj(&[("amount", Value::from(5)), ("formatted", text("$0.05"))])),
                ("sku", text("A")),
                ("attributes", list(obj(&[("name", text("color")), ("value", text("Navy"))]))),
            ])
        );
    }
}
