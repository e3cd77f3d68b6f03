//! The asset dependency graph as a server-rendered SVG.
//!
//! Layered layout: an asset sits one column to the right of the furthest
//! asset that depends on it, so dependencies flow left to right; within a
//! column assets are ordered by name. Cycles (which the register allows) are
//! cut where the walk meets them, so the layout always ends.

use std::collections::HashMap;
use std::fmt::Write;

use rampart_store::AssetLink;

use super::svg_text;

const NODE_W: f64 = 170.0;
const NODE_H: f64 = 34.0;
const COL_GAP: f64 = 70.0;
const ROW_GAP: f64 = 16.0;
const MARGIN: f64 = 12.0;

/// Column of each node: the longest chain of dependants above it.
fn columns(nodes: &[AssetLink], edges: &[(String, String)]) -> HashMap<String, usize> {
    let mut depth: HashMap<String, usize> = nodes.iter().map(|n| (n.id.clone(), 0)).collect();
    // Bellman–Ford style relaxation, at most |nodes| rounds: terminates on cycles.
    for _ in 0..nodes.len() {
        let mut changed = false;
        for (from, to) in edges {
            let next = depth[from] + 1;
            if next < nodes.len() && next > depth[to] {
                depth.insert(to.clone(), next);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// The SVG, or `None` when there is nothing to draw.
pub fn dependency_svg(nodes: &[AssetLink], edges: &[(String, String)]) -> Option<String> {
    if nodes.is_empty() {
        return None;
    }
    let depth = columns(nodes, edges);
    let mut by_column: Vec<Vec<&AssetLink>> = Vec::new();
    for node in nodes {
        let c = depth[&node.id];
        if by_column.len() <= c {
            by_column.resize(c + 1, Vec::new());
        }
        by_column[c].push(node);
    }
    let mut position: HashMap<&str, (f64, f64)> = HashMap::new();
    for (c, column) in by_column.iter().enumerate() {
        for (r, node) in column.iter().enumerate() {
            position.insert(
                node.id.as_str(),
                (MARGIN + c as f64 * (NODE_W + COL_GAP), MARGIN + r as f64 * (NODE_H + ROW_GAP)),
            );
        }
    }
    let rows = by_column.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let width = MARGIN * 2.0 + by_column.len() as f64 * (NODE_W + COL_GAP) - COL_GAP;
    let height = MARGIN * 2.0 + rows * (NODE_H + ROW_GAP) - ROW_GAP;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="graph-title" font-family="sans-serif" font-size="12"><title id="graph-title">Asset dependencies: an arrow points from an asset to what it depends on</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#4a5361"/></marker></defs>"##
    );
    for (from, to) in edges {
        let ((x1, y1), (x2, y2)) = (position[from.as_str()], position[to.as_str()]);
        let (sx, sy, ex, ey) = if x2 > x1 {
            (x1 + NODE_W, y1 + NODE_H / 2.0, x2, y2 + NODE_H / 2.0)
        } else {
            // Same column or backwards (a cycle): leave from the bottom, arrive at the top.
            (x1 + NODE_W / 2.0, y1 + NODE_H, x2 + NODE_W / 2.0, y2)
        };
        let _ = write!(
            svg,
            r##"<line x1="{sx:.1}" y1="{sy:.1}" x2="{ex:.1}" y2="{ey:.1}" stroke="#4a5361" stroke-width="1.4" marker-end="url(#arrow)"/>"##
        );
    }
    for node in nodes {
        let (x, y) = position[node.id.as_str()];
        let label: String = node.name.chars().take(24).collect();
        let _ = write!(
            svg,
            r##"<a href="/risk/assets/{id}"><rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="#eef3fa" stroke="#0b5cad"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="middle" fill="#1b1f24">{label}</text><title>{name} ({kind})</title></a>"##,
            id = svg_text(&node.id),
            tx = x + NODE_W / 2.0,
            ty = y + NODE_H / 2.0 + 4.0,
            label = svg_text(&label),
            name = svg_text(&node.name),
            kind = node.kind,
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use rampart_domain::AssetKind;

    use super::*;

    fn node(id: &str, name: &str) -> AssetLink {
        AssetLink { id: id.into(), name: name.into(), kind: AssetKind::System }
    }

    #[test]
    fn dependencies_flow_left_to_right() {
        let nodes = [node("a", "Portal"), node("b", "Database"), node("c", "Hosting")];
        let edges = [("a".to_string(), "b".to_string()), ("b".into(), "c".into()), ("a".into(), "c".into())];
        let depth = columns(&nodes, &edges);
        assert_eq!((depth["a"], depth["b"], depth["c"]), (0, 1, 2), "the longest chain decides the column");
        let svg = dependency_svg(&nodes, &edges).unwrap();
        assert_eq!(svg.matches("<line").count(), 3);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(r#"href="/risk/assets/a""#));
    }

    #[test]
    fn cycles_and_hostile_names_are_drawn_safely() {
        let nodes = [node("a", "<script>"), node("b", "B & co")];
        let edges = [("a".to_string(), "b".to_string()), ("b".into(), "a".into())];
        let svg = dependency_svg(&nodes, &edges).unwrap();
        assert!(svg.contains("&lt;script&gt;") && svg.contains("B &amp; co") && !svg.contains("<script>"));
        assert!(dependency_svg(&[], &[]).is_none());
    }
}
