//! Framework libraries: what an organisation assesses itself against.
//!
//! A library is identified by a URN and an integer version and holds a tree of
//! requirement nodes (clauses, controls, subcategories) in document order. This
//! crate owns the model, Rampart's YAML library format (checked with errors
//! that name the file, the path and the line) and the built-in catalogs, which
//! are written in Rampart's own words: clause and control numbers and short
//! titles are facts, the standards' text is not ours to copy.
//!
//! It must not do I/O: the store persists libraries, the server and the CLI
//! read files and call [`parse_yaml`].

mod builtin;
mod format;
mod mapping;
mod rules;

pub use builtin::{BUILT_IN, BUILT_IN_MAPPINGS, BuiltIn, built_in, built_in_mapping};
pub use format::{parse_yaml, to_yaml};
pub use mapping::{MAX_MAPPINGS, Mapping, MappingSet, Relationship, parse_mapping_yaml};

use serde::Serialize;

/// Most requirement nodes one library may hold (SP 800-53 with every
/// enhancement is about 1,200).
pub const MAX_REQUIREMENTS: usize = 20_000;
/// Longest statement or guidance text kept.
pub const MAX_TEXT: usize = 20_000;

/// A framework library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Library {
    /// `urn:…`, lower case; the same URN in a higher version is an upgrade.
    pub urn: String,
    pub version: u32,
    pub name: String,
    pub provider: String,
    pub description: String,
    pub copyright: String,
    /// Levels a requirement may be scored on (CSF tiers, maturity 0–5), lowest
    /// first; empty when the framework has no score scale.
    pub score_scale: Vec<ScoreLevel>,
    /// Profiles an assessment may select ("Annex A", "IG1").
    pub groups: Vec<ImplementationGroup>,
    /// The tree in document order: every parent comes before its children.
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScoreLevel {
    pub value: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ImplementationGroup {
    pub ref_id: String,
    pub name: String,
    pub description: String,
}

/// One node of the tree: a clause, control or subcategory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Unique within the library; upgrades match nodes by it.
    pub ref_id: String,
    pub parent: Option<String>,
    pub title: String,
    /// What is required, as a testable statement.
    pub statement: String,
    pub guidance: String,
    /// Typical evidence that shows the requirement is met.
    pub evidence: Vec<String>,
    /// Whether an assessment answers it (headings are not assessed).
    pub assessable: bool,
    /// Points the requirement carries in scores.
    pub weight: u32,
    pub importance: Option<Importance>,
    /// Implementation groups the node belongs to.
    pub groups: Vec<String>,
    /// A short label such as `prevent` or `detect`.
    pub function: Option<String>,
    /// A withdrawn node stays for the answers that name it but is not assessed.
    pub withdrawn: bool,
    /// Anything else the source carried (OSCAL parameters and parts).
    pub extra: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Importance {
    Mandatory,
    Recommended,
    NiceToHave,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::Mandatory => "mandatory",
            Importance::Recommended => "recommended",
            Importance::NiceToHave => "nice-to-have",
        }
    }

    pub fn parse(text: &str) -> Option<Importance> {
        [Importance::Mandatory, Importance::Recommended, Importance::NiceToHave]
            .into_iter()
            .find(|i| i.as_str() == text)
    }
}

impl Library {
    /// Checks the rules of the format on a library built by another reader
    /// (an OSCAL import), returning it with its texts trimmed.
    pub fn checked(self) -> Result<Library, LibraryError> {
        rules::check(self, &rules::Nowhere)
    }

    /// The requirements an assessment answers.
    pub fn assessable(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.iter().filter(|r| r.assessable && !r.withdrawn)
    }

    /// Each node's depth in the tree (0 for the top level), in node order.
    pub fn depths(&self) -> Vec<usize> {
        let mut depth_of = std::collections::HashMap::new();
        self.requirements
            .iter()
            .map(|r| {
                let depth = r.parent.as_deref().and_then(|p| depth_of.get(p)).map_or(0, |d| d + 1);
                depth_of.insert(r.ref_id.as_str(), depth);
                depth
            })
            .collect()
    }
}

/// A library that breaks a rule of the format: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{path}: {reason}{}", source_prefix(.source_name), line_suffix(.line))]
pub struct LibraryError {
    /// The file or upload the library came from, when known.
    pub source_name: Option<String>,
    /// Where in the document: `requirements[12].parent`.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub reason: String,
}

fn source_prefix(source: &Option<String>) -> String {
    source.as_ref().map(|s| format!("{s}: ")).unwrap_or_default()
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

impl LibraryError {
    pub fn new(path: impl Into<String>, line: Option<usize>, reason: impl Into<String>) -> Self {
        Self { source_name: None, path: path.into(), line, reason: reason.into() }
    }

    /// The same error, naming the file it came from.
    pub fn in_source(mut self, name: &str) -> Self {
        self.source_name = Some(name.to_string());
        self
    }
}
