//! Rampart's YAML library format: parsing with located errors, and writing.
//!
//! Syntax and type errors come from the YAML reader, which names the path and
//! line. Rules across nodes (unique ids, known parents, declared groups) are
//! checked afterwards; their line is found by counting the items of the
//! block sequence they sit in, which is how the format is documented.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{ImplementationGroup, Importance, Library, LibraryError, Requirement, ScoreLevel};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    urn: String,
    version: u32,
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    provider: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    copyright: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    score_scale: Vec<ScoreLevelFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    implementation_groups: Vec<GroupFile>,
    requirements: Vec<RequirementFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreLevelFile {
    value: i32,
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    ref_id: String,
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementFile {
    ref_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    statement: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    guidance: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assessable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    importance: Option<Importance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    function: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    withdrawn: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra: Option<serde_json::Value>,
}

/// Parses and checks a library written in Rampart's YAML format.
pub fn parse_yaml(text: &str) -> Result<Library, LibraryError> {
    let file: LibraryFile = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        // The reader's message ends with its own "at line L column C".
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        let (path, reason) = match message.split_once(": ") {
            Some((path, reason)) if !path.contains(' ') => (path.to_string(), reason.to_string()),
            _ => ("library".to_string(), message),
        };
        LibraryError::new(path, line, reason)
    })?;
    crate::rules::check(from_file(file), &Lines::new(text))
}

/// The file's content as a library, before the rules are checked: a node
/// says whether it is assessable, or is so when it has no children.
fn from_file(file: LibraryFile) -> Library {
    let parents: HashSet<String> =
        file.requirements.iter().filter_map(|n| n.parent.as_deref()).map(|p| p.trim().to_string()).collect();
    Library {
        urn: file.urn,
        version: file.version,
        name: file.name,
        provider: file.provider,
        description: file.description,
        copyright: file.copyright,
        score_scale: file.score_scale.into_iter().map(|l| ScoreLevel { value: l.value, name: l.name }).collect(),
        groups: file
            .implementation_groups
            .into_iter()
            .map(|g| ImplementationGroup { ref_id: g.ref_id, name: g.name, description: g.description })
            .collect(),
        requirements: file
            .requirements
            .into_iter()
            .map(|n| Requirement {
                assessable: !n.withdrawn && n.assessable.unwrap_or(!parents.contains(n.ref_id.trim())),
                ref_id: n.ref_id,
                parent: n.parent.filter(|p| !p.trim().is_empty()),
                title: n.title,
                statement: n.statement,
                guidance: n.guidance,
                evidence: n.evidence,
                weight: n.weight.unwrap_or(1),
                importance: n.importance,
                groups: n.groups,
                function: n.function,
                withdrawn: n.withdrawn,
                extra: n.extra,
            })
            .collect(),
    }
}

/// Writes a library in the format [`parse_yaml`] reads.
pub fn to_yaml(library: &Library) -> String {
    let file = LibraryFile {
        urn: library.urn.clone(),
        version: library.version,
        name: library.name.clone(),
        provider: library.provider.clone(),
        description: library.description.clone(),
        copyright: library.copyright.clone(),
        score_scale: library
            .score_scale
            .iter()
            .map(|l| ScoreLevelFile { value: l.value, name: l.name.clone() })
            .collect(),
        implementation_groups: library
            .groups
            .iter()
            .map(|g| GroupFile { ref_id: g.ref_id.clone(), name: g.name.clone(), description: g.description.clone() })
            .collect(),
        requirements: library
            .requirements
            .iter()
            .map(|r| RequirementFile {
                ref_id: r.ref_id.clone(),
                parent: r.parent.clone(),
                title: r.title.clone(),
                statement: r.statement.clone(),
                guidance: r.guidance.clone(),
                evidence: r.evidence.clone(),
                assessable: Some(r.assessable),
                weight: Some(r.weight),
                importance: r.importance,
                groups: r.groups.clone(),
                function: r.function.clone(),
                withdrawn: r.withdrawn,
                extra: r.extra.clone(),
            })
            .collect(),
    };
    serde_norway::to_string(&file).unwrap_or_default()
}

/// Where the top-level keys and the items of their block sequences start.
pub(crate) struct Lines {
    keys: HashMap<String, usize>,
    items: HashMap<String, Vec<usize>>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut keys = HashMap::new();
        let mut items: HashMap<String, Vec<usize>> = HashMap::new();
        let mut current: Option<(String, Option<usize>)> = None;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            let is_item = trimmed == "-" || trimmed.starts_with("- ");
            if indent == 0 && !is_item {
                let key = trimmed.split(':').next().unwrap_or_default().trim().to_string();
                keys.insert(key.clone(), n + 1);
                current = Some((key, None));
                continue;
            }
            if let Some((key, item_indent)) = &mut current
                && is_item
                && *item_indent.get_or_insert(indent) == indent
            {
                items.entry(key.clone()).or_default().push(n + 1);
            }
        }
        Lines { keys, items }
    }
}

impl crate::rules::Locate for Lines {
    fn key(&self, key: &str) -> Option<usize> {
        self.keys.get(key).copied()
    }

    fn item(&self, key: &str, index: usize) -> Option<usize> {
        self.items.get(key).and_then(|lines| lines.get(index)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "\
urn: urn:example:framework:small
version: 2
name: Small
score_scale:
  - { value: 0, name: None }
  - { value: 1, name: Some }
implementation_groups:
  - ref_id: core
    name: Core
requirements:
  - ref_id: A
    title: Heading
  - ref_id: A.1
    parent: A
    statement: Backups are tested every quarter.
    groups: [core]
    importance: recommended
  - ref_id: A.2
    parent: A
    title: Old
    withdrawn: true
";

    fn error_of(text: &str) -> LibraryError {
        parse_yaml(text).unwrap_err()
    }

    #[test]
    fn leaves_are_assessable_and_headings_are_not() {
        let library = parse_yaml(SMALL).unwrap();
        let assessable: Vec<_> = library.assessable().map(|r| r.ref_id.as_str()).collect();
        assert_eq!(assessable, vec!["A.1"], "the heading and the withdrawn node are not assessed");
        assert_eq!(library.depths(), vec![0, 1, 1]);
        assert_eq!(library.requirements[1].weight, 1);
        assert_eq!(library.requirements[1].importance, Some(Importance::Recommended));
    }

    #[test]
    fn a_written_library_reads_back_the_same() {
        let library = parse_yaml(SMALL).unwrap();
        assert_eq!(parse_yaml(&to_yaml(&library)).unwrap(), library);
    }

    #[test]
    fn reader_errors_name_the_path_and_the_line() {
        let e = error_of(&SMALL.replace("importance: recommended", "importance: must"));
        assert_eq!((e.path.as_str(), e.line), ("requirements[1].importance", Some(17)), "{e}");
        assert!(e.reason.contains("unknown variant"), "{e}");
        let e = error_of(&SMALL.replace("title: Old", "titel: Old"));
        assert_eq!((e.path.as_str(), e.line), ("requirements[2]", Some(20)), "{e}");
        let e = error_of("urn: [unclosed\n");
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn rules_across_nodes_name_the_node_and_its_line() {
        let e = error_of(&SMALL.replace("ref_id: A.2", "ref_id: A.1"));
        assert_eq!((e.path.as_str(), e.line), ("requirements[2].ref_id", Some(18)), "{e}");
        let e = error_of(&SMALL.replace("parent: A\n    statement", "parent: B\n    statement"));
        assert_eq!((e.path.as_str(), e.line), ("requirements[1].parent", Some(13)), "{e}");
        let e = error_of(&SMALL.replace("groups: [core]", "groups: [ig9]"));
        assert_eq!((e.path.as_str(), e.line), ("requirements[1].groups[0]", Some(13)), "{e}");
        assert!(e.to_string().contains("`ig9` is not declared"), "{e}");
        let e = error_of(&SMALL.replace("value: 1, name", "value: 0, name"));
        assert_eq!((e.path.as_str(), e.line), ("score_scale[1].value", Some(6)), "{e}");
        let e = error_of(&SMALL.replace("urn:example:framework:small", "Small Framework"));
        assert_eq!((e.path.as_str(), e.line), ("urn", Some(1)), "{e}");
        let e = error_of(&SMALL.replace("version: 2", "version: 0"));
        assert_eq!(e.path, "version");
    }

    #[test]
    fn the_documented_example_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/frameworks/acme-baseline.yaml");
        let library = parse_yaml(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(library.assessable().map(|r| r.ref_id.as_str()).collect::<Vec<_>>(), vec!["ID-1", "ID-2", "NET-1"]);
    }

    #[test]
    fn an_error_names_its_file() {
        let e = error_of(&SMALL.replace("ref_id: A.2", "ref_id: A.1")).in_source("small.yaml");
        assert_eq!(e.to_string(), "small.yaml: requirements[2].ref_id: `A.1` is used by an earlier node (line 18)");
    }
}
