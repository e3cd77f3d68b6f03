//! Matching a compiled pattern against observations.
//!
//! An observation is one observed-data object with the cyber observables it
//! references, seen `number_observed` times between `first_observed` and
//! `last_observed`. A comparison expression picks, in each observation, the
//! objects of its type whose property values pass; AND and OR inside the
//! brackets must hold of the same object. An observation expression is
//! matched by *binding* sightings to it: AND and FOLLOWEDBY need sightings
//! that are not already used, FOLLOWEDBY needs the right-hand ones to be
//! able to come after the left-hand ones, REPEATS n needs n disjoint
//! bindings, WITHIN and START/STOP bound the times. The pattern matches when
//! some binding exists.
//!
//! Bindings are kept as how many sightings of each observation they use:
//! the sightings of one observation are interchangeable, so this is exact,
//! and it keeps `number_observed: 1000` from meaning a thousand copies.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::datum::Datum;
use super::value::{Micros, address_or_range, base64_decode, cidr, contains, hex_decode, instant};
use super::{Comparison, Literal, Observation, Operator, Pattern, Qualifier, Step};

/// Why a pattern could not be matched: the observations are not observed
/// data the matcher can read, or the pattern asks for something impossible
/// (a date that does not exist, a set mixing kinds of value, a regular
/// expression that does not compile, a value that cannot be compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError(pub String);

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MatchError {}

fn fail<T>(message: impl Into<String>) -> Result<T, MatchError> {
    Err(MatchError(message.into()))
}

/// Whether a type is one of STIX's own non-observable types (domain,
/// relationship and meta objects, bundles): a pattern's object type names a
/// cyber observable, so these never match even when an observation holds
/// one, as in the reference matcher.
pub(super) fn is_domain_type(object_type: &str) -> bool {
    use crate::Category::{Domain, Meta, Relationship};
    object_type == "bundle" || matches!(crate::category_of(object_type), Domain | Relationship | Meta)
}

/// The objects of a bundle (none when it has no `objects`).
fn bundle_objects(bundle: Value) -> Result<Vec<Value>, MatchError> {
    let Value::Object(mut bundle) = bundle else { return Ok(Vec::new()) };
    match bundle.remove("objects") {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => fail("a bundle's objects must be a list"),
        None => Ok(Vec::new()),
    }
}

/// Observed data to match patterns against, read once.
#[derive(Debug, Default)]
pub struct Observations {
    pub(super) objects: Vec<Datum>,
    pub(super) items: Vec<Item>,
    /// For each object type: (observation, root slot) of every root of that
    /// type, in order, so a comparison looks only at objects of its type.
    by_type: foldhash::HashMap<String, Vec<(u32, u32)>>,
    /// Each object's `id` ("" without one), for following references.
    ids: Vec<String>,
    /// For an object type and a plain path (keys only), every value the
    /// path reaches from a root of that type, with where: built the first
    /// time a pattern asks, so every later pattern testing the same
    /// property reads a list instead of walking the objects again.
    columns: std::sync::RwLock<foldhash::HashMap<String, std::sync::Arc<Column>>>,
}

/// (observation, root slot, value, the value read as an address or range
/// when it is one) for one type and plain path, in order.
type Column = Vec<(u32, u32, Datum, Option<(u32, u32)>)>;

#[derive(Debug)]
pub(super) struct Item {
    /// The observed-data object's `id`.
    id: String,
    first: Micros,
    last: Micros,
    count: u32,
    /// Indices into `objects`: the observed-data object, then what its
    /// `object_refs` name (references resolve among these only).
    members: Vec<usize>,
    /// One per distinct id among the members: the objects a comparison can
    /// start from.
    pub(super) roots: Vec<usize>,
}

impl Observations {
    /// From a bundle, a list of bundles (their objects taken together, as
    /// the reference matcher takes them) or a list of STIX objects. Each
    /// observed-data object is one observation.
    pub fn from_json(json: &Value) -> Result<Self, MatchError> {
        Self::from_value(json.clone())
    }

    /// As [`Observations::from_json`], taking the JSON over instead of copying it.
    pub fn from_value(json: Value) -> Result<Self, MatchError> {
        let is_bundle = |v: &Value| v.get("type").and_then(Value::as_str) == Some("bundle");
        let objects = match json {
            Value::Array(items) if items.iter().all(is_bundle) => {
                let mut objects = Vec::new();
                for bundle in items {
                    objects.extend(bundle_objects(bundle)?);
                }
                objects
            }
            Value::Array(items) => items,
            Value::Object(_) if is_bundle(&json) => bundle_objects(json)?,
            Value::Object(_) => vec![json],
            _ => return fail("observed data must be a STIX bundle, a list of bundles or a list of STIX objects"),
        };
        Self::from_objects(objects)
    }

    /// From STIX objects: every observed-data object with the objects its
    /// `object_refs` name.
    pub fn from_objects(objects: Vec<Value>) -> Result<Self, MatchError> {
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for (index, object) in objects.iter().enumerate() {
            if object.get("type").and_then(Value::as_str) != Some("observed-data") {
                let Some(id) = object.get("id").and_then(Value::as_str) else {
                    return fail(format!("object {index} has no id"));
                };
                by_id.insert(id, index);
            }
        }
        let mut items = Vec::new();
        for (index, object) in objects.iter().enumerate() {
            if object.get("type").and_then(Value::as_str) != Some("observed-data") {
                continue;
            }
            let field = |name: &str| {
                object.get(name).ok_or_else(|| MatchError(format!("observed-data (object {index}) has no {name}")))
            };
            let count = field("number_observed")?.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                MatchError(format!(
                    "observed-data (object {index}): number_observed must be a whole number of at least 1"
                ))
            })?;
            let time = |name: &str| -> Result<Micros, MatchError> {
                let text = field(name)?.as_str().unwrap_or_default();
                instant(text).ok_or_else(|| {
                    MatchError(format!("observed-data (object {index}): {name} is not a STIX timestamp: {text}"))
                })
            };
            let (first, last) = (time("first_observed")?, time("last_observed")?);
            if first > last {
                return fail(format!("observed-data (object {index}): first_observed is after last_observed"));
            }
            let Some(Value::Array(refs)) = object.get("object_refs") else {
                return fail(format!("observed-data (object {index}) has no object_refs list"));
            };
            let mut members = vec![index];
            members.extend(refs.iter().filter_map(|r| r.as_str().and_then(|id| by_id.get(id).copied())));
            let mut roots: Vec<usize> = Vec::new();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for &member in &members {
                let id = objects[member].get("id").and_then(Value::as_str).unwrap_or_default();
                match seen.get(id) {
                    Some(&slot) => roots[slot] = member,
                    None => {
                        seen.insert(id, roots.len());
                        roots.push(member);
                    }
                }
            }
            let id = object.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            items.push(Item { id, first, last, count: count.min(u64::from(u32::MAX)) as u32, members, roots });
        }
        let mut by_type: foldhash::HashMap<String, Vec<(u32, u32)>> = foldhash::HashMap::default();
        for (index, item) in items.iter().enumerate() {
            for (slot, &root) in item.roots.iter().enumerate() {
                if let Some(kind) = objects[root].get("type").and_then(Value::as_str) {
                    by_type.entry(kind.to_string()).or_default().push((index as u32, slot as u32));
                }
            }
        }
        let ids = objects.iter().map(|o| o.get("id").and_then(Value::as_str).unwrap_or_default().to_string()).collect();
        let objects = objects.into_iter().map(Datum::from).collect();
        Ok(Self { objects, items, by_type, ids, columns: Default::default() })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The values `property` (a plain one) reaches, by root, in order.
    fn column(&self, property: &Property) -> std::sync::Arc<Column> {
        if let Some(found) = self.columns.read().unwrap_or_else(|e| e.into_inner()).get(&property.column) {
            return found.clone();
        }
        let mut column = Vec::new();
        for &(index, slot) in self.by_type.get(&property.object_type).map_or(&[][..], Vec::as_slice) {
            let mut value = &self.objects[self.items[index as usize].roots[slot as usize]];
            let reached = property.steps.iter().all(|step| match step {
                Step::Key(key) => value.get(key).map(|found| value = found).is_some(),
                _ => false,
            });
            if reached {
                let range = value.as_str().and_then(address_or_range);
                column.push((index, slot, value.clone(), range));
            }
        }
        let column = std::sync::Arc::new(column);
        self.columns.write().unwrap_or_else(|e| e.into_inner()).insert(property.column.clone(), column.clone());
        column
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A pattern ready to match: literals as values, expressions built.
#[derive(Debug)]
pub struct Compiled {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Simple(Test),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    FollowedBy(Box<Node>, Box<Node>),
    Within(Box<Node>, Micros),
    Repeats(Box<Node>, u32),
    StartStop(Box<Node>, Micros, Micros),
}

#[derive(Debug)]
enum Test {
    And(Box<Test>, Box<Test>),
    Or(Box<Test>, Box<Test>),
    Property(Property),
}

#[derive(Debug)]
struct Property {
    object_type: String,
    steps: Vec<Step>,
    /// Only keys, none of them `_ref(s)`, `_hex` or `_bin`: the path reaches
    /// at most one value, found without copying anything.
    plain: bool,
    /// The object type and path, as the key of their column.
    column: String,
    /// A timestamp literal: string values are read as timestamps.
    wants_time: bool,
    negated: bool,
    check: Check,
}

#[derive(Debug)]
enum Check {
    Equal(Lit),
    NotEqual(Lit),
    Order {
        order: Ordering,
        or_equal: bool,
        literal: Lit,
    },
    In {
        members: Vec<Lit>,
        timestamps: bool,
    },
    Like {
        text: regex::Regex,
        on_bytes: bool,
        /// The common forms (`lit`, `lit%`, `%lit`, `%lit%`) as plain string
        /// tests, used on values without a line break.
        shape: Option<(LikeShape, String)>,
    },
    Matches {
        text: regex::Regex,
        bytes: Option<regex::bytes::Regex>,
    },
    /// The range as written, and read once if it is one.
    IsSubset(String, Option<(u32, u32)>),
    IsSuperset(String, Option<(u32, u32)>),
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(Micros),
}

impl Lit {
    fn kind(&self) -> u8 {
        match self {
            Lit::Int(_) => 0,
            Lit::Float(_) => 1,
            Lit::Str(_) => 2,
            Lit::Bool(_) => 3,
            Lit::Bytes(_) => 4,
            Lit::Time(_) => 5,
        }
    }
}

/// Bindings beyond this many for one part of a pattern are refused rather
/// than exhausting memory.
const MAX_BINDINGS: usize = 1_000_000;

impl Compiled {
    pub(super) fn new(pattern: &Pattern) -> Result<Self, MatchError> {
        Ok(Self { root: node(&pattern.root)? })
    }

    /// Whether the pattern matches; with the ids of the observed-data
    /// objects of one binding that makes it match.
    pub fn matches(&self, observations: &Observations) -> Result<Option<Vec<String>>, MatchError> {
        let found = find(&self.root, observations)?;
        Ok(found.map(|binding| binding.iter().map(|(item, _)| observations.items[*item as usize].id.clone()).collect()))
    }

    /// Whether the pattern matches.
    pub fn is_match(&self, observations: &Observations) -> Result<bool, MatchError> {
        Ok(find(&self.root, observations)?.is_some())
    }

    /// For a pattern of one bracketed expression without qualifiers: whether
    /// observation `item` alone matches it. `None` for any other pattern.
    pub(super) fn matches_item(&self, observations: &Observations, item: usize) -> Option<Result<bool, MatchError>> {
        let Node::Simple(test) = &self.root else { return None };
        Some(evaluate(test, observations, &observations.items[item]).map(|roots| roots.contains(&true)))
    }
}

fn node(observation: &Observation) -> Result<Node, MatchError> {
    Ok(match observation {
        Observation::Simple(comparison) => Node::Simple(test(comparison)?),
        Observation::Group(inner) => node(inner)?,
        Observation::And(l, r) => Node::And(Box::new(node(l)?), Box::new(node(r)?)),
        Observation::Or(l, r) => Node::Or(Box::new(node(l)?), Box::new(node(r)?)),
        Observation::FollowedBy(l, r) => Node::FollowedBy(Box::new(node(l)?), Box::new(node(r)?)),
        Observation::Qualified(inner, qualifier) => {
            let inner = Box::new(node(inner)?);
            match qualifier {
                Qualifier::Within { seconds, text } => {
                    if *seconds <= 0.0 {
                        return fail(format!("WITHIN needs a positive number of seconds, not {text}"));
                    }
                    Node::Within(inner, (seconds * 1e6).round() as Micros)
                }
                Qualifier::Repeats(0) => return fail("REPEATS needs at least 1 repetition"),
                Qualifier::Repeats(n) => Node::Repeats(inner, (*n).min(u64::from(u32::MAX)) as u32),
                Qualifier::StartStop { start, stop } => Node::StartStop(inner, timestamp(start)?, timestamp(stop)?),
            }
        }
    })
}

fn timestamp(text: &str) -> Result<Micros, MatchError> {
    instant(text).ok_or_else(|| MatchError(format!("t'{text}' is not a date and time that exists")))
}

fn test(comparison: &Comparison) -> Result<Test, MatchError> {
    Ok(match comparison {
        Comparison::And(l, r) => Test::And(Box::new(test(l)?), Box::new(test(r)?)),
        Comparison::Or(l, r) => Test::Or(Box::new(test(l)?), Box::new(test(r)?)),
        Comparison::Test(prop) => {
            let check = match &prop.operator {
                Operator::Equal(l) => Check::Equal(literal(l)?),
                Operator::NotEqual(l) => Check::NotEqual(literal(l)?),
                Operator::Order { order, or_equal, literal: l } => {
                    Check::Order { order: *order, or_equal: *or_equal, literal: literal(l)? }
                }
                Operator::In(set) => {
                    let members = set.iter().map(literal).collect::<Result<Vec<_>, _>>()?;
                    let numbers = members.iter().all(|m| matches!(m, Lit::Int(_) | Lit::Float(_)));
                    if !numbers && members.windows(2).any(|w| w[0].kind() != w[1].kind()) {
                        return fail(
                            "a set must hold values of one kind (numbers, strings, booleans, binary or timestamps)",
                        );
                    }
                    let timestamps = matches!(members.first(), Some(Lit::Time(_)));
                    Check::In { members, timestamps }
                }
                Operator::Like(operand) => {
                    let operand: String = operand.nfc().collect();
                    let mut expression = String::from(r"\A");
                    for c in operand.chars() {
                        match c {
                            '%' => expression.push_str(".*"),
                            '_' => expression.push('.'),
                            c => expression.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                        }
                    }
                    // Python's `$` also matches before a final newline.
                    expression.push_str(r"\n?\z");
                    let text =
                        regex::Regex::new(&expression).map_err(|e| MatchError(format!("LIKE '{operand}': {e}")))?;
                    Check::Like {
                        text,
                        on_bytes: operand.chars().all(|c| (c as u32) < 256),
                        shape: like_shape(&operand),
                    }
                }
                Operator::Matches(operand) => {
                    let operand: String = operand.nfc().collect();
                    let text = regex::Regex::new(&operand).map_err(|e| {
                        MatchError(format!("MATCHES '{operand}' is not a regular expression Rampart can run: {e}"))
                    })?;
                    let bytes = operand.chars().all(|c| (c as u32) < 256).then(|| {
                        // Each character stands for the byte of the same value.
                        let latin1: String = operand
                            .chars()
                            .map(|c| if (c as u32) < 128 { c.to_string() } else { format!(r"\x{:02X}", c as u32) })
                            .collect();
                        regex::bytes::RegexBuilder::new(&latin1).unicode(false).build().ok()
                    });
                    Check::Matches { text, bytes: bytes.flatten() }
                }
                Operator::IsSubset(range) => Check::IsSubset(range.clone(), cidr(range)),
                Operator::IsSuperset(range) => Check::IsSuperset(range.clone(), address_or_range(range)),
                Operator::Exists => Check::Exists,
            };
            let plain = prop.path.steps.iter().all(|step| match step {
                Step::Key(k) => {
                    !(k.ends_with("_ref") || k.ends_with("_refs") || k.ends_with("_hex") || k.ends_with("_bin"))
                }
                _ => false,
            });
            let wants_time = match &check {
                Check::Equal(Lit::Time(_))
                | Check::NotEqual(Lit::Time(_))
                | Check::Order { literal: Lit::Time(_), .. } => true,
                Check::In { timestamps, .. } => *timestamps,
                _ => false,
            };
            let column = format!("{}\u{0}{:?}", prop.path.object_type, prop.path.steps);
            Test::Property(Property {
                object_type: prop.path.object_type.clone(),
                steps: prop.path.steps.clone(),
                plain,
                column,
                wants_time,
                negated: prop.negated,
                check,
            })
        }
    })
}

fn literal(literal: &Literal) -> Result<Lit, MatchError> {
    Ok(match literal {
        Literal::Int(i) => Lit::Int(*i),
        Literal::Float(f) => Lit::Float(*f),
        Literal::Str(s) => Lit::Str(s.clone()),
        Literal::Bool(b) => Lit::Bool(*b),
        Literal::Binary(b) => Lit::Bytes(b.clone()),
        Literal::Timestamp(t) => Lit::Time(timestamp(t)?),
    })
}

// ---------------------------------------------------------------------------
// Comparison expressions, one observation at a time.

/// A selected value as comparisons see it.
enum Val<'a> {
    Int(i128),
    Float(f64),
    Str(Cow<'a, str>),
    Bool(bool),
    Bytes(&'a [u8]),
    Time(Micros),
    /// Null, a list or an object: equal to nothing, ordered against nothing.
    Other,
}

impl<'a> Val<'a> {
    fn json(value: &'a Datum) -> Self {
        match value {
            Datum::Bool(b) => Val::Bool(*b),
            Datum::Str(s) => Val::Str(Cow::Borrowed(s)),
            Datum::Int(i) => Val::Int(*i),
            Datum::Float(f) => Val::Float(*f),
            Datum::Null | Datum::List(_) | Datum::Map(_) => Val::Other,
        }
    }
}

/// The roots (by position in the observation's `roots`) that pass a test.
type Roots = Vec<bool>;

/// One observation's roots that pass (for the indicator index, which has
/// already narrowed matching down to a few observations).
fn evaluate(test: &Test, observations: &Observations, item: &Item) -> Result<Roots, MatchError> {
    match test {
        // Both sides always run, as in the reference matcher, so an error
        // on either side is reported whatever the other finds.
        Test::And(l, r) => {
            let (mut left, right) = (evaluate(l, observations, item)?, evaluate(r, observations, item)?);
            left.iter_mut().zip(right).for_each(|(a, b)| *a &= b);
            Ok(left)
        }
        Test::Or(l, r) => {
            let (mut left, right) = (evaluate(l, observations, item)?, evaluate(r, observations, item)?);
            left.iter_mut().zip(right).for_each(|(a, b)| *a |= b);
            Ok(left)
        }
        Test::Property(property) => {
            let mut passed = vec![false; item.roots.len()];
            if is_domain_type(&property.object_type) {
                return Ok(passed);
            }
            for (slot, &root) in item.roots.iter().enumerate() {
                let object = &observations.objects[root];
                if object.get("type").and_then(Datum::as_str) == Some(property.object_type.as_str()) {
                    passed[slot] = property.holds_for(object, observations, item)?;
                }
            }
            Ok(passed)
        }
    }
}

/// (observation, root slot) of every root in all observations that passes,
/// in order.
fn evaluate_all(test: &Test, observations: &Observations) -> Result<Vec<(u32, u32)>, MatchError> {
    match test {
        Test::And(l, r) => {
            // Both lists are in (observation, root) order: merge them.
            let (left, right) = (evaluate_all(l, observations)?, evaluate_all(r, observations)?);
            let mut both = Vec::with_capacity(left.len().min(right.len()));
            let mut right = right.into_iter().peekable();
            for pair in left {
                while right.next_if(|other| *other < pair).is_some() {}
                if right.next_if_eq(&pair).is_some() {
                    both.push(pair);
                }
            }
            Ok(both)
        }
        Test::Or(l, r) => {
            let (mut both, right) = (evaluate_all(l, observations)?, evaluate_all(r, observations)?);
            both.extend(right);
            both.sort_unstable();
            both.dedup();
            Ok(both)
        }
        Test::Property(property) => {
            let mut passed = Vec::new();
            if is_domain_type(&property.object_type) {
                return Ok(passed);
            }
            if property.plain {
                for (index, slot, value, range) in observations.column(property).iter() {
                    if property.passes(Val::json(value), *range)? {
                        passed.push((*index, *slot));
                    }
                }
                return Ok(passed);
            }
            for &(index, slot) in observations.by_type.get(&property.object_type).map_or(&[][..], Vec::as_slice) {
                let item = &observations.items[index as usize];
                if property.holds_for(&observations.objects[item.roots[slot as usize]], observations, item)? {
                    passed.push((index, slot));
                }
            }
            Ok(passed)
        }
    }
}

/// Where a path has got to: a value, the bytes of a `_hex` or `_bin`
/// property, or the list of objects a `_refs` property names.
enum Cursor<'a> {
    At(&'a Datum),
    Bytes(Vec<u8>),
    /// The references of a `_refs` list, resolved when stepped into.
    Refs(&'a [Datum]),
}

/// Follows `steps` from `cursor` to every value they reach, in order,
/// calling `visit` on each. Every value is reached, so a reference that is
/// not one is reported wherever it is, as the reference matcher reports it.
fn walk<'a>(
    cursor: Cursor<'a>,
    steps: &[Step],
    observations: &'a Observations,
    item: &Item,
    visit: &mut dyn FnMut(Val<'_>) -> Result<(), MatchError>,
) -> Result<(), MatchError> {
    let Some((step, rest)) = steps.split_first() else {
        return match cursor {
            Cursor::At(value) => visit(Val::json(value)),
            Cursor::Bytes(bytes) => visit(Val::Bytes(&bytes)),
            // A list: equal to nothing, but NOT = still holds of it.
            Cursor::Refs(_) => visit(Val::Other),
        };
    };
    let resolved = |id: &'a str| {
        item.members.iter().filter(move |m| observations.ids[**m] == id).map(|m| &observations.objects[*m])
    };
    match (step, cursor) {
        (Step::Key(key), Cursor::At(map @ Datum::Map(_))) => {
            let Some(found) = map.get(key) else { return Ok(()) };
            if key.ends_with("_hex") || key.ends_with("_bin") {
                let text = found.as_str().ok_or_else(|| MatchError(format!("{key} must be a string")))?;
                let bytes = if key.ends_with("_hex") { hex_decode(text) } else { base64_decode(text) };
                let bytes = bytes.ok_or_else(|| {
                    MatchError(format!("{key} is not {}: {text}", if key.ends_with("_hex") { "hex" } else { "base64" }))
                })?;
                return walk(Cursor::Bytes(bytes), rest, observations, item, visit);
            }
            if key.ends_with("_ref") {
                let id = found
                    .as_str()
                    .ok_or_else(|| MatchError(format!("the value of reference property '{key}' is not a string")))?;
                for object in resolved(id) {
                    walk(Cursor::At(object), rest, observations, item, visit)?;
                }
                return Ok(());
            }
            if key.ends_with("_refs") {
                let Datum::List(ids) = found else {
                    return fail(format!("the value of reference list property '{key}' is not a list"));
                };
                let mut any = false;
                for id in ids {
                    let id = id
                        .as_str()
                        .ok_or_else(|| MatchError(format!("a value of reference property '{key}' is not a string")))?;
                    any |= resolved(id).next().is_some();
                }
                // References that resolve to nothing leave no value.
                return if any { walk(Cursor::Refs(ids), rest, observations, item, visit) } else { Ok(()) };
            }
            walk(Cursor::At(found), rest, observations, item, visit)
        }
        (Step::Index(i), Cursor::At(Datum::List(list))) => match usize::try_from(*i).ok().and_then(|i| list.get(i)) {
            Some(found) => walk(Cursor::At(found), rest, observations, item, visit),
            None => Ok(()),
        },
        (Step::AnyIndex, Cursor::At(Datum::List(list))) => {
            for found in list {
                walk(Cursor::At(found), rest, observations, item, visit)?;
            }
            Ok(())
        }
        (Step::Index(i), Cursor::Refs(ids)) => {
            let nth =
                usize::try_from(*i).ok().and_then(|i| ids.iter().filter_map(Datum::as_str).flat_map(resolved).nth(i));
            match nth {
                Some(found) => walk(Cursor::At(found), rest, observations, item, visit),
                None => Ok(()),
            }
        }
        (Step::AnyIndex, Cursor::Refs(ids)) => {
            for found in ids.iter().filter_map(Datum::as_str).flat_map(resolved) {
                walk(Cursor::At(found), rest, observations, item, visit)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl Property {
    /// Whether some value the path reaches from `object` passes (the first
    /// that does ends the search).
    fn holds_for(&self, object: &Datum, observations: &Observations, item: &Item) -> Result<bool, MatchError> {
        if self.plain {
            let mut value = object;
            for step in &self.steps {
                let Step::Key(key) = step else { return Ok(false) };
                match value.get(key) {
                    Some(found) => value = found,
                    _ => return Ok(false),
                }
            }
            return self.passes(Val::json(value), None);
        }
        // Tests stop at the first value that passes; the path is followed
        // to the end regardless.
        let mut passed = false;
        walk(Cursor::At(object), &self.steps, observations, item, &mut |value| {
            if !passed {
                passed = self.passes(value, None)?;
            }
            Ok(())
        })?;
        Ok(passed)
    }

    /// Whether `value` passes; `range` is the value already read as an
    /// address or range, when the caller has it (a column does).
    fn passes(&self, mut value: Val<'_>, range: Option<(u32, u32)>) -> Result<bool, MatchError> {
        if self.wants_time
            && let Val::Str(text) = &value
        {
            value = Val::Time(instant(text).ok_or_else(|| MatchError(format!("Invalid timestamp in JSON: {text}")))?);
        }
        let result = match &self.check {
            Check::Equal(literal) => equal(&value, literal),
            Check::NotEqual(literal) => !equal(&value, literal),
            Check::Order { order, or_equal, literal } => match compare(&value, literal) {
                // No way to order these two kinds: false, whatever NOT says.
                None => return Ok(false),
                Some(None) => false,
                Some(Some(found)) => found == *order || (*or_equal && found == Ordering::Equal),
            },
            Check::In { members, .. } => members.iter().any(|m| same_in_set(&value, m)),
            Check::Like { text, on_bytes, shape } => match &value {
                Val::Str(s) => match shape {
                    // LIKE allows one final line break, as Python's `$` does.
                    Some((shape, literal)) if s.is_ascii() && one_line(s) => {
                        let s = s.strip_suffix('\n').unwrap_or(s);
                        match shape {
                            LikeShape::Exact => s == literal,
                            LikeShape::Prefix => s.starts_with(literal.as_str()),
                            LikeShape::Suffix => s.ends_with(literal.as_str()),
                            LikeShape::Contains => s.contains(literal.as_str()),
                        }
                    }
                    _ => text.is_match(&nfc(s)),
                },
                Val::Bytes(b) if *on_bytes => {
                    let s = std::str::from_utf8(b)
                        .map_err(|_| MatchError("a binary value compared with LIKE is not UTF-8".into()))?;
                    text.is_match(&nfc(s))
                }
                _ => false,
            },
            Check::Matches { text, bytes } => match &value {
                Val::Str(s) => text.is_match(&nfc(s)),
                Val::Bytes(b) => bytes.as_ref().is_some_and(|re| re.is_match(b)),
                _ => false,
            },
            Check::IsSubset(written, outer) => match &value {
                Val::Str(s) => match (outer, range.or_else(|| address_or_range(s))) {
                    (Some(outer), Some(inner)) => contains(*outer, inner),
                    _ => return fail(format!("ISSUBSET needs addresses and CIDR ranges: {s}, {written}")),
                },
                _ => false,
            },
            Check::IsSuperset(address, inner) => match &value {
                Val::Str(s) => match (cidr(s), inner) {
                    (Some(outer), Some(inner)) => contains(outer, *inner),
                    _ => return fail(format!("ISSUPERSET needs addresses and CIDR ranges: {address}, {s}")),
                },
                _ => false,
            },
            Check::Exists => true,
        };
        Ok(result != self.negated)
    }
}

/// Equality across kinds as the specification has it: numbers with numbers,
/// binary with a string of code points below 256, like with like otherwise.
fn equal(value: &Val<'_>, literal: &Lit) -> bool {
    match (value, literal) {
        (Val::Int(a), Lit::Int(b)) => a == b,
        (Val::Int(a), Lit::Float(b)) => (*a as f64) == *b,
        (Val::Float(a), Lit::Int(b)) => *a == (*b as f64),
        (Val::Float(a), Lit::Float(b)) => a == b,
        (Val::Str(a), Lit::Str(b)) => super::datum::same(a.as_bytes(), b.as_bytes()),
        (Val::Bool(a), Lit::Bool(b)) => a == b,
        (Val::Bytes(a), Lit::Bytes(b)) => *a == b.as_slice(),
        (Val::Bytes(a), Lit::Str(s)) => latin1(s).is_some_and(|s| s == *a),
        (Val::Str(s), Lit::Bytes(b)) => latin1(s).is_some_and(|s| s == *b),
        (Val::Time(a), Lit::Time(b)) => a == b,
        _ => false,
    }
}

/// `None`: these kinds are never ordered; `Some(None)`: they are, but these
/// two values cannot be (a string with code points ≥ 256 against binary).
fn compare(value: &Val<'_>, literal: &Lit) -> Option<Option<Ordering>> {
    Some(match (value, literal) {
        (Val::Int(a), Lit::Int(b)) => Some(a.cmp(b)),
        (Val::Int(a), Lit::Float(b)) => (*a as f64).partial_cmp(b),
        (Val::Float(a), Lit::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Val::Float(a), Lit::Float(b)) => a.partial_cmp(b),
        (Val::Str(a), Lit::Str(b)) => Some(a.as_ref().cmp(b.as_str())),
        (Val::Bytes(a), Lit::Bytes(b)) => Some((*a).cmp(b.as_slice())),
        (Val::Bytes(a), Lit::Str(s)) => latin1(s).map(|s| (*a).cmp(s.as_slice())),
        (Val::Str(s), Lit::Bytes(b)) => latin1(s).map(|s| s.as_slice().cmp(b)),
        (Val::Time(a), Lit::Time(b)) => Some(a.cmp(b)),
        _ => return None,
    })
}

/// Set membership compares as Python's sets do: booleans count as 0 and 1
/// among numbers, binary never equals a string.
fn same_in_set(value: &Val<'_>, member: &Lit) -> bool {
    let number = |v: &Val<'_>| match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        Val::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    let member_number = || match member {
        Lit::Int(i) => Some(*i as f64),
        Lit::Float(f) => Some(*f),
        Lit::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    match (value, member) {
        (Val::Int(a), Lit::Int(b)) => a == b,
        (Val::Str(a), Lit::Str(b)) => super::datum::same(a.as_bytes(), b.as_bytes()),
        (Val::Bytes(a), Lit::Bytes(b)) => *a == b.as_slice(),
        (Val::Time(a), Lit::Time(b)) => a == b,
        _ => matches!((number(value), member_number()), (Some(a), Some(b)) if a == b),
    }
}

#[derive(Debug, Clone, Copy)]
enum LikeShape {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

fn like_shape(operand: &str) -> Option<(LikeShape, String)> {
    if operand.contains('_') || operand.contains('\n') {
        return None;
    }
    let (starts, ends) = (operand.starts_with('%'), operand.ends_with('%') && operand.len() > 1 || operand == "%");
    let literal = operand.trim_start_matches('%').trim_end_matches('%');
    if literal.contains('%') {
        return None;
    }
    let shape = match (starts, ends) {
        (false, false) => LikeShape::Exact,
        (false, true) => LikeShape::Prefix,
        (true, false) => LikeShape::Suffix,
        (true, true) => LikeShape::Contains,
    };
    Some((shape, literal.to_string()))
}

/// No line break but perhaps a final one (a byte loop: these strings are
/// short, and searching them with `memchr` costs more in setting up).
#[allow(clippy::manual_contains)] // `contains` on bytes is `memchr`: what this avoids.
fn one_line(s: &str) -> bool {
    let bytes = s.as_bytes();
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    !body.iter().any(|&b| b == b'\n')
}

/// Text in Unicode normal form C; ASCII already is.
fn nfc(s: &str) -> Cow<'_, str> {
    if s.is_ascii() { Cow::Borrowed(s) } else { Cow::Owned(s.nfc().collect()) }
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}

// ---------------------------------------------------------------------------
// Observation expressions: bindings.

/// How many sightings of each observation a binding uses, by observation.
type Binding = Vec<(u32, u32)>;

fn find(root: &Node, observations: &Observations) -> Result<Option<Binding>, MatchError> {
    let times = |binding: &Binding| span(binding, observations);
    match root {
        // Only whether some binding exists matters here: stop at the first.
        Node::Or(l, r) => {
            let left = find(l, observations)?;
            let right = find(r, observations)?;
            Ok(left.or(right))
        }
        Node::And(l, r) | Node::FollowedBy(l, r) => {
            let (left, right) = (bindings(l, observations)?, bindings(r, observations)?);
            let ordered = matches!(root, Node::FollowedBy(..));
            for a in &left {
                for b in &right {
                    if ordered && times(a).0 > times(b).1 {
                        continue;
                    }
                    if let Some(joined) = join(a, b, observations) {
                        return Ok(Some(joined));
                    }
                }
            }
            Ok(None)
        }
        Node::Simple(test) => Ok(evaluate_all(test, observations)?.first().map(|(index, _)| vec![(*index, 1)])),
        _ => Ok(bindings(root, observations)?.into_iter().next()),
    }
}

/// The latest first sighting and the earliest last sighting of a binding.
fn span(binding: &Binding, observations: &Observations) -> (Micros, Micros) {
    binding.iter().fold((Micros::MIN, Micros::MAX), |(first, last), (item, _)| {
        let item = &observations.items[*item as usize];
        (first.max(item.first), last.min(item.last))
    })
}

/// Both bindings at once, if there are sightings enough for both.
fn join(a: &Binding, b: &Binding, observations: &Observations) -> Option<Binding> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                i += 1;
                j += 1;
                (x.0, x.1 + y.1)
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                i += 1;
                *x
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (_, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => unreachable!(),
        };
        if next.1 > observations.items[next.0 as usize].count {
            return None;
        }
        out.push(next);
    }
    Some(out)
}

fn bindings(node: &Node, observations: &Observations) -> Result<Vec<Binding>, MatchError> {
    let times = |binding: &Binding| span(binding, observations);
    let mut found: Vec<Binding> = Vec::new();
    let mut seen: HashSet<Binding> = HashSet::new();
    let mut keep = |binding: Binding, found: &mut Vec<Binding>| -> Result<(), MatchError> {
        if seen.insert(binding.clone()) {
            if found.len() == MAX_BINDINGS {
                return fail(format!(
                    "the pattern can be bound to these observations in more than {MAX_BINDINGS} ways; narrow it"
                ));
            }
            found.push(binding);
        }
        Ok(())
    };
    match node {
        Node::Simple(test) => {
            let mut passed = evaluate_all(test, observations)?;
            passed.dedup_by_key(|(index, _)| *index);
            found.extend(passed.into_iter().map(|(index, _)| vec![(index, 1)]));
        }
        Node::Or(l, r) => {
            for binding in bindings(l, observations)?.into_iter().chain(bindings(r, observations)?) {
                keep(binding, &mut found)?;
            }
        }
        Node::And(l, r) | Node::FollowedBy(l, r) => {
            let (left, right) = (bindings(l, observations)?, bindings(r, observations)?);
            let ordered = matches!(node, Node::FollowedBy(..));
            for a in &left {
                for b in &right {
                    if ordered && times(a).0 > times(b).1 {
                        continue;
                    }
                    if let Some(joined) = join(a, b, observations) {
                        keep(joined, &mut found)?;
                    }
                }
            }
        }
        Node::Within(inner, duration) => {
            for binding in bindings(inner, observations)? {
                let (first, last) = times(&binding);
                if first <= last.saturating_add(*duration) {
                    keep(binding, &mut found)?;
                }
            }
        }
        Node::StartStop(inner, start, stop) => {
            let inner = bindings(inner, observations)?;
            if start < stop {
                for binding in inner {
                    let inside = binding.iter().all(|(item, _)| {
                        let item = &observations.items[*item as usize];
                        item.first < *stop && *start <= item.last
                    });
                    if inside {
                        keep(binding, &mut found)?;
                    }
                }
            }
        }
        Node::Repeats(inner, times) => {
            let once = bindings(inner, observations)?;
            let mut current = once.clone();
            for _ in 1..*times {
                let mut next = Vec::new();
                let mut next_seen = HashSet::new();
                for a in &current {
                    for b in &once {
                        if let Some(joined) = join(a, b, observations)
                            && next_seen.insert(joined.clone())
                        {
                            if next.len() == MAX_BINDINGS {
                                return fail(format!(
                                    "the pattern can be bound to these observations in more than {MAX_BINDINGS} ways; narrow it"
                                ));
                            }
                            next.push(joined);
                        }
                    }
                }
                current = next;
                if current.is_empty() {
                    break;
                }
            }
            for binding in current {
                keep(binding, &mut found)?;
            }
        }
    }
    Ok(found)
}
