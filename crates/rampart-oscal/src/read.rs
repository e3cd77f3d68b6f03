//! A catalog read into a framework library.

use std::collections::{HashMap, HashSet};

use rampart_frameworks::{Library, LibraryError, MAX_TEXT, Requirement};
use serde_json::json;

use crate::model::{Catalog, Control, Group, Param, Part};

/// How a catalog becomes a library.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The library's URN; by default `urn:oscal:catalog:` and the title in
    /// lower case with dashes.
    pub urn: Option<String>,
}

/// Reads a catalog into a library: groups are headings, every control is
/// assessable unless withdrawn.
pub fn catalog_library(catalog: &Catalog, options: &ReadOptions) -> Result<Library, LibraryError> {
    read(catalog, options, "catalog", &HashSet::new())
}

/// Reads a catalog; the controls named in `structural` are kept only to hold
/// the tree together (a profile selected their children, not them) and are
/// not assessable.
pub(crate) fn read(
    catalog: &Catalog,
    options: &ReadOptions,
    kind: &str,
    structural: &HashSet<String>,
) -> Result<Library, LibraryError> {
    let params = all_params(catalog);
    let mut reader = Reader { params, structural, nodes: Vec::new(), next_group: 0 };
    for group in &catalog.groups {
        reader.group(group, None);
    }
    for control in &catalog.controls {
        reader.control(control, None);
    }
    let nodes = unique_ref_ids(reader.nodes);
    let metadata = &catalog.metadata;
    let library = Library {
        urn: options.urn.clone().unwrap_or_else(|| format!("urn:oscal:{kind}:{}", slug(&metadata.title))),
        version: version_of(&metadata.last_modified)?,
        name: cut(&metadata.title, 200),
        provider: metadata
            .parties
            .iter()
            .find(|p| p.kind == "organization")
            .and_then(|p| p.name.as_deref())
            .map(|n| cut(n, 120))
            .unwrap_or_default(),
        description: cut(metadata.remarks.as_deref().unwrap_or_default(), 4000),
        copyright: String::new(),
        score_scale: Vec::new(),
        groups: Vec::new(),
        requirements: nodes,
    };
    library.checked()
}

/// The version of a library read from OSCAL: the document's last-modified
/// date as `YYYYMMDD`, so a later publication is a higher version.
fn version_of(last_modified: &str) -> Result<u32, LibraryError> {
    let date: String = last_modified.chars().take(10).filter(char::is_ascii_digit).collect();
    date.parse::<u32>().ok().filter(|_| date.len() == 8).ok_or_else(|| {
        LibraryError::new(
            "metadata.last-modified",
            None,
            format!("`{last_modified}` is not a date-time such as 2024-02-13T17:43:48Z"),
        )
    })
}

fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    let slug: String = slug.chars().take(150).collect();
    if slug.is_empty() { "untitled".to_string() } else { slug }
}

fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn all_params(catalog: &Catalog) -> HashMap<String, Param> {
    fn from_control(c: &Control, into: &mut HashMap<String, Param>) {
        for p in &c.params {
            into.insert(p.id.clone(), p.clone());
        }
        c.controls.iter().for_each(|c| from_control(c, into));
    }
    fn from_group(g: &Group, into: &mut HashMap<String, Param>) {
        for p in &g.params {
            into.insert(p.id.clone(), p.clone());
        }
        g.controls.iter().for_each(|c| from_control(c, into));
        g.groups.iter().for_each(|g| from_group(g, into));
    }
    let mut params: HashMap<String, Param> = catalog.params.iter().map(|p| (p.id.clone(), p.clone())).collect();
    catalog.groups.iter().for_each(|g| from_group(g, &mut params));
    catalog.controls.iter().for_each(|c| from_control(c, &mut params));
    params
}

/// A node before its ref_id is settled: the label people use, or the OSCAL id.
struct Node {
    id: String,
    label: Option<String>,
    parent: Option<usize>,
    requirement: Requirement,
}

struct Reader<'a> {
    params: HashMap<String, Param>,
    structural: &'a HashSet<String>,
    nodes: Vec<Node>,
    next_group: usize,
}

impl Reader<'_> {
    fn group(&mut self, group: &Group, parent: Option<usize>) {
        self.next_group += 1;
        let id = group.id.clone().unwrap_or_else(|| format!("group-{}", self.next_group));
        let extra = json!({"oscal": {"id": group.id, "class": group.class, "params": group.params, "props": group.props, "parts": group.parts}});
        let requirement = Requirement {
            ref_id: String::new(),
            parent: None,
            title: cut(&group.title, 500),
            statement: self.prose_of(&group.parts, &["overview", "statement"]),
            guidance: self.guidance_of(&group.parts),
            evidence: Vec::new(),
            assessable: false,
            weight: 1,
            importance: None,
            groups: Vec::new(),
            function: None,
            withdrawn: false,
            extra: Some(extra),
        };
        let index = self.push(id, group.label(), parent, requirement);
        for g in &group.groups {
            self.group(g, Some(index));
        }
        for c in &group.controls {
            self.control(c, Some(index));
        }
    }

    fn control(&mut self, control: &Control, parent: Option<usize>) {
        let extra = json!({"oscal": {
            "id": control.id, "class": control.class, "params": control.params, "props": control.props,
            "links": control.links, "parts": control.parts
        }});
        let withdrawn = control.withdrawn();
        let requirement = Requirement {
            ref_id: String::new(),
            parent: None,
            title: cut(&control.title, 500),
            statement: self.prose_of(&control.parts, &["statement"]),
            guidance: self.guidance_of(&control.parts),
            evidence: Vec::new(),
            assessable: !withdrawn && !self.structural.contains(&control.id),
            weight: 1,
            importance: None,
            groups: Vec::new(),
            function: None,
            withdrawn,
            extra: Some(extra),
        };
        let index = self.push(control.id.clone(), control.label(), parent, requirement);
        for c in &control.controls {
            self.control(c, Some(index));
        }
    }

    fn push(&mut self, id: String, label: Option<&str>, parent: Option<usize>, requirement: Requirement) -> usize {
        let label = label.map(str::trim).filter(|l| !l.is_empty() && !l.contains(char::is_whitespace));
        self.nodes.push(Node { id, label: label.map(str::to_string), parent, requirement });
        self.nodes.len() - 1
    }

    /// The prose of the parts with these names, items labelled and indented,
    /// parameters filled in.
    fn prose_of(&self, parts: &[Part], names: &[&str]) -> String {
        let mut lines = Vec::new();
        for part in parts.iter().filter(|p| names.contains(&p.name.as_str())) {
            self.render(part, 0, &mut lines);
        }
        cut(&lines.join("\n"), MAX_TEXT)
    }

    fn render(&self, part: &Part, depth: usize, lines: &mut Vec<String>) {
        if let Some(prose) = part.prose.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            let label = part.props.iter().find(|p| p.name == "label").map(|p| format!("{} ", p.value));
            lines.push(format!("{}{}{}", "  ".repeat(depth), label.unwrap_or_default(), self.fill(prose, 0)));
        }
        let deeper = if part.prose.is_some() { depth + 1 } else { depth };
        for sub in &part.parts {
            self.render(sub, deeper, lines);
        }
    }

    /// Guidance parts and, as CSF has them, implementation examples.
    fn guidance_of(&self, parts: &[Part]) -> String {
        let mut text = self.prose_of(parts, &["guidance"]);
        let examples: Vec<String> = parts
            .iter()
            .filter(|p| p.name == "example")
            .filter_map(|p| p.prose.as_deref())
            .map(|p| format!("- {}", self.fill(p.trim(), 0)))
            .collect();
        if !examples.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Implementation examples:\n");
            text.push_str(&examples.join("\n"));
        }
        cut(&text, MAX_TEXT)
    }

    /// Replaces `{{ insert: param, ID }}` with the parameter's value, its
    /// choices or its label, as NIST renders them.
    fn fill(&self, prose: &str, depth: usize) -> String {
        let mut out = String::with_capacity(prose.len());
        let mut rest = prose;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let inner = &rest[start + 2..start + end];
            let id = inner
                .split_once(':')
                .filter(|(k, _)| k.trim() == "insert")
                .and_then(|(_, v)| v.split_once(',').filter(|(k, _)| k.trim() == "param").map(|(_, id)| id.trim()));
            match id {
                Some(id) => out.push_str(&self.param_text(id, depth)),
                None => out.push_str(&rest[start..start + end + 2]),
            }
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn param_text(&self, id: &str, depth: usize) -> String {
        let Some(param) = self.params.get(id) else { return format!("[Assignment: {id}]") };
        if !param.values.is_empty() {
            return param.values.join(", ");
        }
        if let Some(select) = &param.select {
            let choices: Vec<String> = if depth < 3 {
                select.choice.iter().map(|c| self.fill(c, depth + 1)).collect()
            } else {
                select.choice.clone()
            };
            let how = if select.how_many.as_deref() == Some("one-or-more") { " (one or more)" } else { "" };
            return format!("[Selection{how}: {}]", choices.join("; "));
        }
        format!("[Assignment: {}]", param.label.as_deref().unwrap_or(id))
    }
}

/// Settles each node's ref_id: its label where no other node has the same
/// one, else its OSCAL id.
fn unique_ref_ids(nodes: Vec<Node>) -> Vec<Requirement> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for n in &nodes {
        *counts.entry(n.label.as_deref().unwrap_or(&n.id)).or_default() += 1;
    }
    let ids: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let ref_ids: Vec<String> = nodes
        .iter()
        .map(|n| match n.label.as_deref() {
            Some(label) if counts[label] == 1 && (label == n.id || !ids.contains(label)) => label.to_string(),
            _ => n.id.clone(),
        })
        .collect();
    nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let mut r = n.requirement;
            r.ref_id = ref_ids[i].clone();
            r.parent = n.parent.map(|p| ref_ids[p].clone());
            r
        })
        .collect()
}
