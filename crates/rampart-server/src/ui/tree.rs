//! Showing part of a requirement tree: the nodes a filter matched, with the
//! ancestors that place each of them.

use std::collections::HashMap;

use rampart_store::RequirementNode;

/// Each node's parent as an index into `nodes`.
pub fn parent_indices(nodes: &[RequirementNode]) -> Vec<Option<usize>> {
    let index: HashMap<&str, usize> =
        nodes.iter().enumerate().map(|(i, n)| (n.requirement.ref_id.as_str(), i)).collect();
    nodes.iter().map(|n| n.requirement.parent.as_deref().and_then(|p| index.get(p).copied())).collect()
}

/// The nodes to show: every matched node and all its ancestors.
pub fn with_ancestors(parents: &[Option<usize>], matched: &[bool]) -> Vec<bool> {
    let mut shown = matched.to_vec();
    for i in (0..matched.len()).filter(|&i| matched[i]) {
        let mut parent = parents[i];
        while let Some(p) = parent {
            if shown[p] && !matched[p] {
                break;
            }
            shown[p] = true;
            parent = parents[p];
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_matches_are_shown_and_nothing_else() {
        // 0 ─ 1 ─ 2, 0 ─ 3, 4
        let parents = [None, Some(0), Some(1), Some(0), None];
        let shown = with_ancestors(&parents, &[false, false, true, false, false]);
        assert_eq!(shown, vec![true, true, true, false, false]);
        assert_eq!(with_ancestors(&parents, &[false; 5]), vec![false; 5]);
    }
}
