//! Profile resolution: the controls a profile selects from its catalog, with
//! the profile's parameter settings and alterations applied.
//!
//! The catalog's structure is kept (groups, and parent controls of selected
//! children as non-assessable headings), as OSCAL's `merge: as-is` asks.

use std::collections::HashSet;

use rampart_frameworks::{Library, LibraryError};

use crate::model::{Add, Alter, Catalog, Control, Group, Part, Profile, Remove, Selection};
use crate::read::{ReadOptions, read};

/// Resolves a profile against the catalog it imports and reads the result
/// into a library. Every import is resolved against `catalog`.
pub fn resolve(profile: &Profile, catalog: &Catalog, options: &ReadOptions) -> Result<Library, LibraryError> {
    let known = control_ids(catalog);
    let mut selected: HashSet<String> = HashSet::new();
    for (i, import) in profile.imports.iter().enumerate() {
        let mut included = HashSet::new();
        if import.include_all.is_some() {
            included.extend(known.iter().cloned());
        }
        for (j, s) in import.include_controls.iter().enumerate() {
            select(catalog, &known, s, &format!("imports[{i}].include-controls[{j}]"), &mut included)?;
        }
        let mut excluded = HashSet::new();
        for (j, s) in import.exclude_controls.iter().enumerate() {
            select(catalog, &known, s, &format!("imports[{i}].exclude-controls[{j}]"), &mut excluded)?;
        }
        selected.extend(included.into_iter().filter(|id| !excluded.contains(id)));
    }
    if selected.is_empty() {
        return Err(LibraryError::new("imports", None, "select no control of the catalog"));
    }
    let mut structural = HashSet::new();
    let mut resolved = Catalog {
        metadata: profile.metadata.clone(),
        params: catalog.params.clone(),
        controls: keep_controls(&catalog.controls, &selected, &mut structural),
        groups: keep_groups(&catalog.groups, &selected, &mut structural),
    };
    if let Some(modify) = &profile.modify {
        for (i, set) in modify.set_parameters.iter().enumerate() {
            let found = for_each_param(&mut resolved, &set.param_id, &mut |p| {
                if let Some(label) = &set.label {
                    p.label = Some(label.clone());
                }
                if !set.values.is_empty() {
                    p.values = set.values.clone();
                }
                if let Some(select) = &set.select {
                    p.select = Some(select.clone());
                }
            });
            if !found {
                return Err(LibraryError::new(
                    format!("modify.set-parameters[{i}].param-id"),
                    None,
                    format!("`{}` is not a parameter of the selected controls", set.param_id),
                ));
            }
        }
        for (i, alter) in modify.alters.iter().enumerate() {
            let path = format!("modify.alters[{i}]");
            if !selected.contains(&alter.control_id) {
                return Err(LibraryError::new(
                    format!("{path}.control-id"),
                    None,
                    format!("`{}` is not a control the profile selects", alter.control_id),
                ));
            }
            if let Some(control) = find_control(&mut resolved, &alter.control_id) {
                apply(control, alter, &path)?;
            }
        }
    }
    read(&resolved, options, "profile", &structural)
}

fn control_ids(catalog: &Catalog) -> HashSet<String> {
    fn walk(c: &Control, into: &mut HashSet<String>) {
        into.insert(c.id.clone());
        c.controls.iter().for_each(|c| walk(c, into));
    }
    fn walk_group(g: &Group, into: &mut HashSet<String>) {
        g.controls.iter().for_each(|c| walk(c, into));
        g.groups.iter().for_each(|g| walk_group(g, into));
    }
    let mut ids = HashSet::new();
    catalog.controls.iter().for_each(|c| walk(c, &mut ids));
    catalog.groups.iter().for_each(|g| walk_group(g, &mut ids));
    ids
}

/// `*` matches any run of characters and `?` any one, as OSCAL's `matching` patterns do.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => glob(rest, text) || (!text.is_empty() && glob(pattern, &text[1..])),
        (Some((b'?', rest)), Some((_, tail))) => glob(rest, tail),
        (Some((p, rest)), Some((t, tail))) if p == t => glob(rest, tail),
        _ => false,
    }
}

fn select(
    catalog: &Catalog,
    known: &HashSet<String>,
    selection: &Selection,
    path: &str,
    into: &mut HashSet<String>,
) -> Result<(), LibraryError> {
    let mut matched: Vec<String> = Vec::new();
    for (k, id) in selection.with_ids.iter().enumerate() {
        if !known.contains(id) {
            return Err(LibraryError::new(
                format!("{path}.with-ids[{k}]"),
                None,
                format!("`{id}` is not a control of the catalog: give the catalog this profile imports"),
            ));
        }
        matched.push(id.clone());
    }
    for m in &selection.matching {
        matched.extend(known.iter().filter(|id| glob(m.pattern.as_bytes(), id.as_bytes())).cloned());
    }
    let with_children = selection.with_child_controls.as_deref() == Some("yes");
    for id in matched {
        if with_children && let Some(control) = find_in(catalog, &id) {
            descendants(control, into);
        }
        into.insert(id);
    }
    Ok(())
}

fn descendants(control: &Control, into: &mut HashSet<String>) {
    for c in &control.controls {
        into.insert(c.id.clone());
        descendants(c, into);
    }
}

fn find_in<'a>(catalog: &'a Catalog, id: &str) -> Option<&'a Control> {
    fn in_controls<'a>(cs: &'a [Control], id: &str) -> Option<&'a Control> {
        cs.iter().find_map(|c| if c.id == id { Some(c) } else { in_controls(&c.controls, id) })
    }
    fn in_groups<'a>(gs: &'a [Group], id: &str) -> Option<&'a Control> {
        gs.iter().find_map(|g| in_controls(&g.controls, id).or_else(|| in_groups(&g.groups, id)))
    }
    in_controls(&catalog.controls, id).or_else(|| in_groups(&catalog.groups, id))
}

fn find_control<'a>(catalog: &'a mut Catalog, id: &str) -> Option<&'a mut Control> {
    fn in_controls<'a>(cs: &'a mut [Control], id: &str) -> Option<&'a mut Control> {
        for c in cs {
            if c.id == id {
                return Some(c);
            }
            if let Some(found) = in_controls(&mut c.controls, id) {
                return Some(found);
            }
        }
        None
    }
    fn in_groups<'a>(gs: &'a mut [Group], id: &str) -> Option<&'a mut Control> {
        for g in gs {
            if let Some(found) = in_controls(&mut g.controls, id) {
                return Some(found);
            }
            if let Some(found) = in_groups(&mut g.groups, id) {
                return Some(found);
            }
        }
        None
    }
    if let Some(found) = in_controls(&mut catalog.controls, id) {
        return Some(found);
    }
    in_groups(&mut catalog.groups, id)
}

/// The selected controls, and unselected ones that hold selected children
/// (recorded in `structural`).
fn keep_controls(controls: &[Control], selected: &HashSet<String>, structural: &mut HashSet<String>) -> Vec<Control> {
    let mut kept = Vec::new();
    for c in controls {
        let children = keep_controls(&c.controls, selected, structural);
        if selected.contains(&c.id) || !children.is_empty() {
            if !selected.contains(&c.id) {
                structural.insert(c.id.clone());
            }
            kept.push(Control { controls: children, ..c.clone() });
        }
    }
    kept
}

fn keep_groups(groups: &[Group], selected: &HashSet<String>, structural: &mut HashSet<String>) -> Vec<Group> {
    let mut kept = Vec::new();
    for g in groups {
        let controls = keep_controls(&g.controls, selected, structural);
        let subgroups = keep_groups(&g.groups, selected, structural);
        if !controls.is_empty() || !subgroups.is_empty() {
            kept.push(Group { controls, groups: subgroups, ..g.clone() });
        }
    }
    kept
}

/// Calls `change` on every parameter with this id; true when there was one.
fn for_each_param(catalog: &mut Catalog, id: &str, change: &mut dyn FnMut(&mut crate::model::Param)) -> bool {
    fn in_controls(cs: &mut [Control], id: &str, change: &mut dyn FnMut(&mut crate::model::Param)) -> bool {
        let mut found = false;
        for c in cs {
            for p in c.params.iter_mut().filter(|p| p.id == id) {
                change(p);
                found = true;
            }
            found |= in_controls(&mut c.controls, id, change);
        }
        found
    }
    fn in_groups(gs: &mut [Group], id: &str, change: &mut dyn FnMut(&mut crate::model::Param)) -> bool {
        let mut found = false;
        for g in gs {
            for p in g.params.iter_mut().filter(|p| p.id == id) {
                change(p);
                found = true;
            }
            found |= in_controls(&mut g.controls, id, change);
            found |= in_groups(&mut g.groups, id, change);
        }
        found
    }
    let mut found = false;
    for p in catalog.params.iter_mut().filter(|p| p.id == id) {
        change(p);
        found = true;
    }
    found |= in_controls(&mut catalog.controls, id, change);
    found | in_groups(&mut catalog.groups, id, change)
}

fn removes(part: &Part, remove: &Remove) -> bool {
    remove.by_id.as_deref().is_some_and(|id| part.id.as_deref() == Some(id))
        || remove.by_name.as_deref().is_some_and(|n| part.name == n)
        || remove.by_item_name.as_deref().is_some_and(|n| part.name == n)
        || remove.by_class.as_deref().is_some_and(|c| part.class.as_deref() == Some(c))
        || remove.by_ns.as_deref().is_some_and(|ns| part.ns.as_deref() == Some(ns))
}

fn remove_parts(parts: &mut Vec<Part>, remove: &Remove) {
    parts.retain(|p| !removes(p, remove));
    for p in parts {
        remove_parts(&mut p.parts, remove);
    }
}

/// Inserts `add`'s parts next to (or inside) the part with `id`; true when found.
fn add_at_part(parts: &mut Vec<Part>, id: &str, add: &Add, position: &str) -> bool {
    if let Some(i) = parts.iter().position(|p| p.id.as_deref() == Some(id)) {
        let new = add.parts.clone();
        match position {
            "before" => {
                parts.splice(i..i, new);
            }
            "after" => {
                parts.splice(i + 1..i + 1, new);
            }
            "starting" => {
                parts[i].parts.splice(0..0, new);
            }
            _ => parts[i].parts.extend(new),
        }
        parts[i].props.extend(add.props.clone());
        return true;
    }
    parts.iter_mut().any(|p| add_at_part(&mut p.parts, id, add, position))
}

fn apply(control: &mut Control, alter: &Alter, path: &str) -> Result<(), LibraryError> {
    for remove in &alter.removes {
        remove_parts(&mut control.parts, remove);
        control.props.retain(|p| {
            !(remove.by_name.as_deref() == Some(p.name.as_str())
                || remove.by_class.is_some() && remove.by_class == p.class
                || remove.by_ns.is_some() && remove.by_ns == p.ns)
        });
    }
    for (k, add) in alter.adds.iter().enumerate() {
        let position = add.position.as_deref().unwrap_or("ending");
        match add.by_id.as_deref().filter(|id| *id != control.id) {
            None => {
                if position == "starting" {
                    control.parts.splice(0..0, add.parts.clone());
                    control.props.splice(0..0, add.props.clone());
                    control.params.splice(0..0, add.params.clone());
                } else {
                    control.parts.extend(add.parts.clone());
                    control.props.extend(add.props.clone());
                    control.params.extend(add.params.clone());
                }
            }
            Some(id) => {
                if !add_at_part(&mut control.parts, id, add, position) {
                    return Err(LibraryError::new(
                        format!("{path}.adds[{k}].by-id"),
                        None,
                        format!("`{id}` is not a part of control `{}`", control.id),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn patterns_match_like_oscal_globs() {
        assert!(glob(b"ac-*", b"ac-2.1"));
        assert!(glob(b"ac-?", b"ac-2"));
        assert!(!glob(b"ac-?", b"ac-12"));
        assert!(!glob(b"au-*", b"ac-2"));
        assert!(glob(b"*", b""));
    }
}
