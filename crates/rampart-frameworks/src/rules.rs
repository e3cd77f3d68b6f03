//! The rules every library obeys, whatever it was read from: Rampart's YAML
//! format, an OSCAL catalog or profile. Texts are trimmed; the first broken
//! rule is reported with its path and, where the reader knows it, its line.

use std::collections::HashSet;

use crate::{ImplementationGroup, Library, LibraryError, MAX_REQUIREMENTS, MAX_TEXT, Requirement, ScoreLevel};

/// Where things sit in the source document, for error lines.
pub(crate) trait Locate {
    /// The line of a top-level key.
    fn key(&self, key: &str) -> Option<usize>;
    /// The line of item `index` of the sequence under a top-level key.
    fn item(&self, key: &str, index: usize) -> Option<usize>;
}

/// A source without lines (a document parsed as JSON).
pub(crate) struct Nowhere;

impl Locate for Nowhere {
    fn key(&self, _: &str) -> Option<usize> {
        None
    }

    fn item(&self, _: &str, _: usize) -> Option<usize> {
        None
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

/// Checks a library and returns it with its texts trimmed.
pub(crate) fn check(library: Library, at: &dyn Locate) -> Result<Library, LibraryError> {
    let urn = check_urn(&library.urn, at.key("urn"))?;
    if library.version == 0 {
        return Err(LibraryError::new("version", at.key("version"), "must be 1 or more"));
    }
    let score_scale = check_scale(library.score_scale, at)?;
    let groups = check_groups(library.groups, at)?;
    let requirements = check_requirements(library.requirements, &groups, at)?;
    Ok(Library {
        urn,
        version: library.version,
        name: text("name", at.key("name"), &library.name, 200, true)?,
        provider: text("provider", at.key("provider"), &library.provider, 120, false)?,
        description: text("description", at.key("description"), &library.description, 4000, false)?,
        copyright: text("copyright", at.key("copyright"), &library.copyright, 1000, false)?,
        score_scale,
        groups,
        requirements,
    })
}

fn check_scale(levels: Vec<ScoreLevel>, at: &dyn Locate) -> Result<Vec<ScoreLevel>, LibraryError> {
    if levels.len() == 1 || levels.len() > 11 {
        return Err(LibraryError::new("score_scale", at.key("score_scale"), "must have 2 to 11 levels"));
    }
    let mut scale: Vec<ScoreLevel> = Vec::with_capacity(levels.len());
    for (i, level) in levels.into_iter().enumerate() {
        let line = at.item("score_scale", i);
        let path = format!("score_scale[{i}]");
        if let Some(previous) = scale.last().map(|l| l.value)
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

fn check_groups(groups: Vec<ImplementationGroup>, at: &dyn Locate) -> Result<Vec<ImplementationGroup>, LibraryError> {
    let mut seen = HashSet::new();
    let mut checked = Vec::with_capacity(groups.len());
    for (i, group) in groups.into_iter().enumerate() {
        let line = at.item("implementation_groups", i);
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
    nodes: Vec<Requirement>,
    groups: &[ImplementationGroup],
    at: &dyn Locate,
) -> Result<Vec<Requirement>, LibraryError> {
    if nodes.is_empty() || nodes.len() > MAX_REQUIREMENTS {
        return Err(LibraryError::new(
            "requirements",
            at.key("requirements"),
            format!("must hold 1 to {MAX_REQUIREMENTS} nodes"),
        ));
    }
    let declared: HashSet<&str> = groups.iter().map(|g| g.ref_id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::with_capacity(nodes.len());
    let mut checked = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.into_iter().enumerate() {
        let line = at.item("requirements", i);
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
        if node.weight > 1000 {
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
        seen.insert(ref_id.clone());
        checked.push(Requirement {
            assessable: node.assessable && !node.withdrawn,
            ref_id,
            parent,
            title,
            statement,
            guidance: text(&at("guidance"), line, &node.guidance, MAX_TEXT, false)?,
            evidence,
            weight: node.weight,
            importance: node.importance,
            groups: node.groups,
            function,
            withdrawn: node.withdrawn,
            extra: node.extra,
        });
    }
    Ok(checked)
}
