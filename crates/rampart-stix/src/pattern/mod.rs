//! STIX 2.1 patterning: the language indicators are written in, parsed in
//! full (every comparison and observation operator and qualifier of the
//! OASIS grammar) and matched against observed data.
//!
//! Matching follows the OASIS reference matcher (`stix2-matcher`) where the
//! specification leaves room, so a pattern means the same here as there: the
//! conformance test replays the vectors that ship inside its wheel.
//!
//! ```text
//! let pattern = Pattern::parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24']")?;
//! let observations = Observations::from_json(&bundle)?;
//! let matched = pattern.compile()?.matches(&observations)?;
//! ```

mod datum;
mod index;
mod lexer;
mod matcher;
mod parser;
mod value;

use std::fmt;

pub use index::{IndexBuilder, IndicatorIndex};
pub use matcher::{Compiled, MatchError, Observations};

/// A parsed pattern. Parsing checks the grammar only; [`Pattern::validate`]
/// adds what the OASIS validator checks beyond it, and [`Pattern::compile`]
/// what only matching needs (real calendar dates, homogeneous sets, regular
/// expressions).
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    text: String,
    root: Observation,
}

#[derive(Debug, Clone, PartialEq)]
enum Observation {
    Simple(Comparison),
    /// A parenthesised observation expression: qualifiers on it do not count
    /// as repeated qualifiers of the expressions inside.
    Group(Box<Observation>),
    And(Box<Observation>, Box<Observation>),
    Or(Box<Observation>, Box<Observation>),
    FollowedBy(Box<Observation>, Box<Observation>),
    Qualified(Box<Observation>, Qualifier),
}

#[derive(Debug, Clone, PartialEq)]
enum Qualifier {
    Within { seconds: f64, text: String },
    Repeats(u64),
    StartStop { start: String, stop: String },
}

#[derive(Debug, Clone, PartialEq)]
enum Comparison {
    And(Box<Comparison>, Box<Comparison>),
    Or(Box<Comparison>, Box<Comparison>),
    Test(PropTest),
}

#[derive(Debug, Clone, PartialEq)]
struct PropTest {
    path: ObjectPath,
    negated: bool,
    operator: Operator,
}

#[derive(Debug, Clone, PartialEq)]
enum Operator {
    Equal(Literal),
    NotEqual(Literal),
    /// `<` is Less, `>` Greater; `or_equal` makes them `<=` and `>=`.
    Order {
        order: std::cmp::Ordering,
        or_equal: bool,
        literal: Literal,
    },
    In(Vec<Literal>),
    Like(String),
    Matches(String),
    IsSubset(String),
    IsSuperset(String),
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    Binary(Vec<u8>),
    /// As written; turned into an instant when the pattern is compiled.
    Timestamp(String),
}

/// `file:hashes.'SHA-256'`: an object type and the steps into the object.
#[derive(Debug, Clone, PartialEq)]
struct ObjectPath {
    object_type: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    AnyIndex,
}

/// A pattern that is not one: where (line and column, both from 1) and what
/// was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl PatternError {
    fn at(input: &str, offset: usize, message: String) -> Self {
        let before = &input[..offset.min(input.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self { line, column, message }
    }

    fn whole(message: String) -> Self {
        Self { line: 1, column: 1, message }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for PatternError {}

impl Pattern {
    /// Parses `text` against the STIX 2.1 patterning grammar.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        Ok(Self { text: text.to_string(), root: parser::parse(text)? })
    }

    /// Parses and then checks what the OASIS validator checks beyond the
    /// grammar: a qualifier type given twice to the same observation
    /// expression, and hash values that cannot be the hash they claim to be.
    pub fn validate(text: &str) -> Result<Self, PatternError> {
        let pattern = Self::parse(text)?;
        check_qualifiers(&pattern.root)?;
        check_hashes(&pattern.root)?;
        Ok(pattern)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Everything matching needs, prepared once: literals turned into values,
    /// regular expressions built.
    pub fn compile(&self) -> Result<Compiled, MatchError> {
        Compiled::new(self)
    }

    /// When the pattern is nothing but `=` (or `IN`) tests of string values
    /// on plain property paths, joined by OR, inside one pair of brackets:
    /// each (object type, property path, value) it looks for. A store can
    /// then find its matches by lookup instead of by matching.
    pub fn exact_values(&self) -> Option<Vec<ExactValue>> {
        index::probes(&self.root)?
            .into_iter()
            .map(|probe| match probe {
                index::Probe::Exact { key, value } => {
                    let (object_type, path) = key.split_once(':')?;
                    Some(ExactValue {
                        object_type: object_type.into(),
                        path: path.split('.').map(String::from).collect(),
                        value,
                    })
                }
                index::Probe::Range { .. } => None,
            })
            .collect()
    }
}

/// One value an exact-value pattern looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactValue {
    pub object_type: String,
    /// `["hashes", "SHA-256"]`, `["value"]`.
    pub path: Vec<String>,
    pub value: String,
}

/// The OASIS validator's rule: WITHIN, REPEATS and START/STOP each at most
/// once directly on a bracketed observation expression. Qualifiers on a
/// parenthesised group are not checked, as the validator does not.
fn check_qualifiers(observation: &Observation) -> Result<(), PatternError> {
    /// The qualifier types already on this expression; `None` for a group.
    fn walk(observation: &Observation) -> Result<Option<Vec<&'static str>>, PatternError> {
        match observation {
            Observation::Simple(_) => Ok(Some(Vec::new())),
            Observation::Group(inner) => walk(inner).map(|_| None),
            Observation::And(l, r) | Observation::Or(l, r) | Observation::FollowedBy(l, r) => {
                walk(l)?;
                walk(r)?;
                Ok(None)
            }
            Observation::Qualified(inner, qualifier) => {
                let Some(mut seen) = walk(inner)? else { return Ok(None) };
                let name = match qualifier {
                    Qualifier::Within { .. } => "WITHIN",
                    Qualifier::Repeats(_) => "REPEATS",
                    Qualifier::StartStop { .. } => "START … STOP",
                };
                if seen.contains(&name) {
                    return Err(PatternError::whole(format!(
                        "the qualifier {name} is given twice to the same observation expression"
                    )));
                }
                seen.push(name);
                Ok(Some(seen))
            }
        }
    }
    walk(observation).map(|_| ())
}

/// Values compared with a `hashes` property must look like the named hash.
fn check_hashes(observation: &Observation) -> Result<(), PatternError> {
    fn in_comparison(comparison: &Comparison) -> Result<(), PatternError> {
        match comparison {
            Comparison::And(l, r) | Comparison::Or(l, r) => in_comparison(l).and_then(|()| in_comparison(r)),
            Comparison::Test(test) => {
                let steps = &test.path.steps;
                let Some(Step::Key(algorithm)) = steps.last() else { return Ok(()) };
                if !steps.iter().any(|s| *s == Step::Key("hashes".into())) {
                    return Ok(());
                }
                let literal = match &test.operator {
                    Operator::Equal(l) | Operator::NotEqual(l) | Operator::Order { literal: l, .. } => l,
                    _ => return Ok(()),
                };
                let Literal::Str(value) = literal else { return Ok(()) };
                match value::hash_shape(algorithm) {
                    Some(ok) if !ok(value) => {
                        Err(PatternError::whole(format!("'{value}' is not a valid {algorithm} hash")))
                    }
                    _ => Ok(()),
                }
            }
        }
    }
    match observation {
        Observation::Simple(comparison) => in_comparison(comparison),
        Observation::Group(inner) | Observation::Qualified(inner, _) => check_hashes(inner),
        Observation::And(l, r) | Observation::Or(l, r) | Observation::FollowedBy(l, r) => {
            check_hashes(l).and_then(|()| check_hashes(r))
        }
    }
}
