//! Rampart's YAML library format: parsing with located errors, and writing.
//!
//! Syntax and type errors come from the YAML reader, which names the path and
//! line. Rules across nodes (unique ids, known parents, declared groups) are
//! checked afterwards; their line is found by counting the items of the
//! block sequence they sit in, which is how the format is documented.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{
    ImplementationGroup, Importance, Library, LibraryError, MAX_REQUIREMENTS, MAX_TEXT, Requirement, ScoreLevel,
};

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
    check(file, &Lines::new(text))
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
struct Lines {
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

    fn key(&self, key: &str) -> Option<usize> {
        self.keys.get(key).copied()
    }

    fn item(&self, key: &str, index: usize) -> Option<usize> {
        self.items.get(key).and_then(|lines| lines.get(index)).copied()
    }
}

fn text(path: &str, line: Option<usize>, value: &str, max: usize, required: bool) -> Result<String, LibraryError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(LibraryError::new(path, line, "is required"));
    }
    if value.chars().count() > max {
        return Err(LibraryError::new(path, line, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

fn identifier(path: &str, line: Option<usize>, value: &str, max: usize) -> Result<String, LibraryError> {
    let value = text(path, line, value, max, true)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(LibraryError::new(path, line, format!("`{value}` must not contain spaces")));
    }
    Ok(value)
}

fn check_urn(urn: &str, line: Option<usize>) -> Result<String, LibraryError> {
    let urn = urn.trim();
    let well_formed = urn.starts_with("urn:")
        && urn.len() > 4
        && urn.len() <= 200
        && urn.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ":._-".contains(c));
    if !well_formed {
        return Err(LibraryError::new(
            "urn",
            line,
            format!("`{urn}` must be a URN in lower case, such as urn:example:framework:acme-baseline"),
        ));
    }
    Ok(urn.to_string())
}

fn check(file: LibraryFile, lines: &Lines) -> Result<Library, LibraryError> {
    let urn = check_urn(&file.urn, lines.key("urn"))?;
    if file.version == 0 {
        return Err(LibraryError::new("version", lines.key("version"), "must be 1 or more"));
    }
    let score_scale = check_scale(&file.score_scale, lines)?;
    let groups = check_groups(&file.implementation_groups, lines)?;
    let requirements = check_requirements(file.requirements, &groups, lines)?;
    Ok(Library {
        urn,
        version: file.version,
        name: text("name", lines.key("name"), &file.name, 200, true)?,
        provider: text("provider", lines.key("provider"), &file.provider, 120, false)?,
        description: text("description", lines.key("description"), &file.description, 4000, false)?,
        copyright: text("copyright", lines.key("copyright"), &file.copyright, 1000, false)?,
        score_scale,
        groups,
        requirements,
    })
}

fn check_scale(levels: &[ScoreLevelFile], lines: &Lines) -> Result<Vec<ScoreLevel>, LibraryError> {
    if levels.len() == 1 || levels.len() > 11 {
        return Err(LibraryError::new("score_scale", lines.key("score_scale"), "must have 2 to 11 levels"));
    }
    let mut scale = Vec::with_capacity(levels.len());
    for (i, level) in levels.iter().enumerate() {
        let line = lines.item("score_scale", i);
        let path = format!("score_scale[{i}]");
        if let Some(previous) = scale.last().map(|l: &ScoreLevel| l.value)
            && level.value <= previous
        {
            return Err(LibraryError::new(
                format!("{path}.value"),
                line,
                format!("{} must be higher than the level before ({previous}): list levels lowest first", level.value),
            ));
        }
        scale.push(ScoreLevel {
            value: level.value,
            name: text(&format!("{path}.name"), line, &level.name, 100, true)?,
        });
    }
    Ok(scale)
}

fn check_groups(groups: &[GroupFile], lines: &Lines) -> Result<Vec<ImplementationGroup>, LibraryError> {
    let mut seen = HashSet::new();
    let mut checked = Vec::with_capacity(groups.len());
    for (i, group) in groups.iter().enumerate() {
        let line = lines.item("implementation_groups", i);
        let path = format!("implementation_groups[{i}]");
        let ref_id = identifier(&format!("{path}.ref_id"), line, &group.ref_id, 40)?;
        if !seen.insert(ref_id.clone()) {
            return Err(LibraryError::new(format!("{path}.ref_id"), line, format!("`{ref_id}` is declared twice")));
        }
        checked.push(ImplementationGroup {
            ref_id,
            name: text(&format!("{path}.name"), line, &group.name, 100, true)?,
            description: text(&format!("{path}.description"), line, &group.description, 1000, false)?,
        });
    }
    Ok(checked)
}

fn check_requirements(
    nodes: Vec<RequirementFile>,
    groups: &[ImplementationGroup],
    lines: &Lines,
) -> Result<Vec<Requirement>, LibraryError> {
    if nodes.is_empty() || nodes.len() > MAX_REQUIREMENTS {
        return Err(LibraryError::new(
            "requirements",
            lines.key("requirements"),
            format!("must hold 1 to {MAX_REQUIREMENTS} nodes"),
        ));
    }
    let parents: HashSet<&str> = nodes.iter().filter_map(|n| n.parent.as_deref()).map(str::trim).collect();
    let declared: HashSet<&str> = groups.iter().map(|g| g.ref_id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut checked = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let line = lines.item("requirements", i);
        let at = |field: &str| format!("requirements[{i}].{field}");
        let ref_id = identifier(&at("ref_id"), line, &node.ref_id, 100)?;
        if seen.contains(&ref_id) {
            return Err(LibraryError::new(at("ref_id"), line, format!("`{ref_id}` is used by an earlier node")));
        }
        let parent = match node.parent.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(parent) if seen.contains(parent) => Some(parent.to_string()),
            Some(parent) => {
                return Err(LibraryError::new(
                    at("parent"),
                    line,
                    format!("`{parent}` is not the ref_id of an earlier node: list a parent before its children"),
                ));
            }
        };
        let title = text(&at("title"), line, &node.title, 500, false)?;
        let statement = text(&at("statement"), line, &node.statement, MAX_TEXT, false)?;
        if title.is_empty() && statement.is_empty() {
            return Err(LibraryError::new(at("title"), line, "a node needs a title or a statement"));
        }
        if node.evidence.len() > 50 {
            return Err(LibraryError::new(at("evidence"), line, "must list at most 50 items"));
        }
        let evidence = node
            .evidence
            .iter()
            .enumerate()
            .map(|(k, e)| text(&at(&format!("evidence[{k}]")), line, e, 1000, true))
            .collect::<Result<Vec<_>, _>>()?;
        let weight = node.weight.unwrap_or(1);
        if weight > 1000 {
            return Err(LibraryError::new(at("weight"), line, "must be between 0 and 1000"));
        }
        for (k, group) in node.groups.iter().enumerate() {
            if !declared.contains(group.as_str()) {
                return Err(LibraryError::new(
                    at(&format!("groups[{k}]")),
                    line,
                    format!("`{group}` is not declared under implementation_groups"),
                ));
            }
        }
        let function = match &node.function {
            Some(f) => Some(identifier(&at("function"), line, f, 40)?),
            None => None,
        };
        let has_children = parents.contains(ref_id.as_str());
        seen.insert(ref_id.clone());
        checked.push(Requirement {
            assessable: !node.withdrawn && node.assessable.unwrap_or(!has_children),
            ref_id,
            parent,
            title,
            statement,
            guidance: text(&at("guidance"), line, &node.guidance, MAX_TEXT, false)?,
            evidence,
            weight,
            importance: node.importance,
            groups: node.groups.clone(),
            function,
            withdrawn: node.withdrawn,
            extra: node.extra.clone(),
        });
    }
    Ok(checked)
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
