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

use super::value::{Micros, base64_decode, hex_decode, instant, within_range};
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

/// The STIX domain object types: a pattern's object type names a cyber
/// observable, so these never match even when an observation holds one.
const DOMAIN_TYPES: [&str; 25] = [
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

/// Observed data to match patterns against, read once.
#[derive(Debug, Default)]
pub struct Observations {
    objects: Vec<Value>,
    items: Vec<Item>,
}

#[derive(Debug)]
struct Item {
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
    roots: Vec<usize>,
}

impl Observations {
    /// From a bundle, a list of bundles (their objects taken together, as
    /// the reference matcher takes them) or a list of STIX objects. Each
    /// observed-data object is one observation.
    pub fn from_json(json: &Value) -> Result<Self, MatchError> {
        let mut objects = Vec::new();
        let is_bundle = |v: &Value| v.get("type").and_then(Value::as_str) == Some("bundle");
        let bundles: Vec<&Value> = match json {
            Value::Array(items) if items.iter().all(is_bundle) => items.iter().collect(),
            Value::Array(items) => {
                objects.extend(items.iter().cloned());
                Vec::new()
            }
            Value::Object(_) if is_bundle(json) => vec![json],
            Value::Object(_) => {
                objects.push(json.clone());
                Vec::new()
            }
            _ => return fail("observed data must be a STIX bundle, a list of bundles or a list of STIX objects"),
        };
        for bundle in bundles {
            match bundle.get("objects") {
                Some(Value::Array(items)) => objects.extend(items.iter().cloned()),
                Some(_) => return fail("a bundle's objects must be a list"),
                None => {}
            }
        }
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
        Ok(Self { objects, items })
    }

    pub fn len(&self) -> usize {
        self.items.len()
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
    negated: bool,
    check: Check,
}

#[derive(Debug)]
enum Check {
    Equal(Lit),
    NotEqual(Lit),
    Order { order: Ordering, or_equal: bool, literal: Lit },
    In { members: Vec<Lit>, timestamps: bool },
    Like { text: regex::Regex, on_bytes: bool },
    Matches { text: regex::Regex, bytes: Option<regex::bytes::Regex> },
    IsSubset(String),
    IsSuperset(String),
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
                    Check::Like { text, on_bytes: operand.chars().all(|c| (c as u32) < 256) }
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
                Operator::IsSubset(range) => Check::IsSubset(range.clone()),
                Operator::IsSuperset(range) => Check::IsSuperset(range.clone()),
                Operator::Exists => Check::Exists,
            };
            Test::Property(Property {
                object_type: prop.path.object_type.clone(),
                steps: prop.path.steps.clone(),
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

/// A value a path selected: a JSON value, the bytes of a `_hex` or `_bin`
/// property, or the objects a `_refs` list names.
enum Selected<'a> {
    Json(&'a Value),
    Bytes(Vec<u8>),
    Objects(Vec<&'a Value>),
}

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
    fn of(selected: &'a Selected<'a>) -> Self {
        match selected {
            Selected::Bytes(b) => Val::Bytes(b),
            Selected::Objects(_) => Val::Other,
            Selected::Json(value) => match value {
                Value::Bool(b) => Val::Bool(*b),
                Value::String(s) => Val::Str(Cow::Borrowed(s)),
                Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => Val::Int(i128::from(i)),
                    (_, Some(u)) => Val::Int(i128::from(u)),
                    _ => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                _ => Val::Other,
            },
        }
    }
}

/// The roots (by position in the observation's `roots`) that pass a test.
type Roots = Vec<bool>;

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
            if DOMAIN_TYPES.contains(&property.object_type.as_str()) {
                return Ok(passed);
            }
            for (slot, &root) in item.roots.iter().enumerate() {
                let object = &observations.objects[root];
                if object.get("type").and_then(Value::as_str) != Some(property.object_type.as_str()) {
                    continue;
                }
                let values = select(object, &property.steps, observations, item)?;
                for value in &values {
                    if property.passes(value)? {
                        passed[slot] = true;
                        break;
                    }
                }
            }
            Ok(passed)
        }
    }
}

/// Every value `steps` reaches from `object`, in order.
fn select<'a>(
    object: &'a Value,
    steps: &[Step],
    observations: &'a Observations,
    item: &Item,
) -> Result<Vec<Selected<'a>>, MatchError> {
    let mut current = vec![Selected::Json(object)];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            match (step, value) {
                (Step::Key(key), Selected::Json(Value::Object(map))) => {
                    let Some(found) = map.get(key) else { continue };
                    let found = if key.ends_with("_hex") {
                        let text = found
                            .as_str()
                            .ok_or_else(|| MatchError(format!("{key} must be a string of hex digits")))?;
                        Selected::Bytes(
                            hex_decode(text).ok_or_else(|| MatchError(format!("{key} is not hex: {text}")))?,
                        )
                    } else if key.ends_with("_bin") {
                        let text =
                            found.as_str().ok_or_else(|| MatchError(format!("{key} must be a base64 string")))?;
                        Selected::Bytes(
                            base64_decode(text).ok_or_else(|| MatchError(format!("{key} is not base64: {text}")))?,
                        )
                    } else {
                        Selected::Json(found)
                    };
                    dereference(key, found, observations, item, &mut next)?;
                }
                (Step::Index(i), Selected::Json(Value::Array(list))) => {
                    if let Some(found) = usize::try_from(*i).ok().and_then(|i| list.get(i)) {
                        next.push(Selected::Json(found));
                    }
                }
                (Step::Index(i), Selected::Objects(list)) => {
                    if let Some(found) = usize::try_from(*i).ok().and_then(|i| list.get(i)) {
                        next.push(Selected::Json(found));
                    }
                }
                (Step::AnyIndex, Selected::Json(Value::Array(list))) => next.extend(list.iter().map(Selected::Json)),
                (Step::AnyIndex, Selected::Objects(list)) => next.extend(list.into_iter().map(Selected::Json)),
                _ => {}
            }
        }
        current = next;
    }
    Ok(current)
}

/// A `_ref` property stands for the object it names, a `_refs` property for
/// the list of them, resolved within the same observation (unresolved
/// references are dropped).
fn dereference<'a>(
    key: &str,
    found: Selected<'a>,
    observations: &'a Observations,
    item: &Item,
    out: &mut Vec<Selected<'a>>,
) -> Result<(), MatchError> {
    let resolve = |id: &str, into: &mut Vec<&'a Value>| {
        into.extend(
            item.members
                .iter()
                .map(|m| &observations.objects[*m])
                .filter(|o| o.get("id").and_then(Value::as_str) == Some(id)),
        );
    };
    if key.ends_with("_ref") {
        let Selected::Json(Value::String(id)) = found else {
            return fail(format!("the value of reference property '{key}' is not a string"));
        };
        let mut objects = Vec::new();
        resolve(id, &mut objects);
        out.extend(objects.into_iter().map(Selected::Json));
    } else if key.ends_with("_refs") {
        let Selected::Json(Value::Array(ids)) = found else {
            return fail(format!("the value of reference list property '{key}' is not a list"));
        };
        let mut objects = Vec::new();
        for id in ids {
            let Some(id) = id.as_str() else {
                return fail(format!("a value of reference property '{key}' is not a string"));
            };
            resolve(id, &mut objects);
        }
        if !objects.is_empty() {
            out.push(Selected::Objects(objects));
        }
    } else {
        out.push(found);
    }
    Ok(())
}

impl Property {
    fn passes(&self, selected: &Selected<'_>) -> Result<bool, MatchError> {
        let mut value = Val::of(selected);
        let wants_time = match &self.check {
            Check::Equal(Lit::Time(_)) | Check::NotEqual(Lit::Time(_)) | Check::Order { literal: Lit::Time(_), .. } => {
                true
            }
            Check::In { timestamps, .. } => *timestamps,
            _ => false,
        };
        if wants_time && let Val::Str(text) = &value {
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
            Check::Like { text, on_bytes } => match &value {
                Val::Str(s) => text.is_match(&s.nfc().collect::<String>()),
                Val::Bytes(b) if *on_bytes => {
                    let s = std::str::from_utf8(b)
                        .map_err(|_| MatchError("a binary value compared with LIKE is not UTF-8".into()))?;
                    text.is_match(&s.nfc().collect::<String>())
                }
                _ => false,
            },
            Check::Matches { text, bytes } => match &value {
                Val::Str(s) => text.is_match(&s.nfc().collect::<String>()),
                Val::Bytes(b) => bytes.as_ref().is_some_and(|re| re.is_match(b)),
                _ => false,
            },
            Check::IsSubset(range) => match &value {
                Val::Str(s) => within_range(s, range)
                    .ok_or_else(|| MatchError(format!("ISSUBSET needs addresses and CIDR ranges: {s}, {range}")))?,
                _ => false,
            },
            Check::IsSuperset(address) => match &value {
                Val::Str(s) => within_range(address, s)
                    .ok_or_else(|| MatchError(format!("ISSUPERSET needs addresses and CIDR ranges: {address}, {s}")))?,
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
        (Val::Str(a), Lit::Str(b)) => a.as_ref() == b,
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
    let member_number = match member {
        Lit::Int(i) => Some(*i as f64),
        Lit::Float(f) => Some(*f),
        Lit::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    match (value, member) {
        (Val::Int(a), Lit::Int(b)) => a == b,
        (Val::Str(a), Lit::Str(b)) => a.as_ref() == b,
        (Val::Bytes(a), Lit::Bytes(b)) => *a == b.as_slice(),
        (Val::Time(a), Lit::Time(b)) => a == b,
        _ => matches!((number(value), member_number), (Some(a), Some(b)) if a == b),
    }
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
            for (index, item) in observations.items.iter().enumerate() {
                if evaluate(test, observations, item)?.contains(&true) {
                    keep(vec![(index as u32, 1)], &mut found)?;
                }
            }
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
