//! Results inferred through framework mappings ("assess once, comply many").
//!
//! An answer to one requirement says something about a mapped requirement
//! of another framework, depending on how the two relate:
//!
//! - equal: the answer carries as it is (not applicable too);
//! - the answered requirement is a superset of the other: compliant and
//!   partially compliant carry; non-compliant says nothing (the smaller
//!   requirement may still be met);
//! - subset or intersect: compliant and partially compliant carry at most as
//!   partially compliant; non-compliant says nothing;
//! - not related: nothing.
//!
//! An inferred result never overrides a direct answer.

use rampart_frameworks::Relationship;

use crate::assessment::ResultKind;

/// What an answer tells about a requirement it relates to; `relationship`
/// reads from the answered requirement to the other one.
pub fn carried(relationship: Relationship, answer: ResultKind) -> Option<ResultKind> {
    use ResultKind::*;
    match (relationship, answer) {
        (_, NotAssessed) | (Relationship::NotRelated, _) => None,
        (Relationship::Equal, result) => Some(result),
        (Relationship::Superset, Compliant | PartiallyCompliant) => Some(answer),
        (Relationship::Subset | Relationship::Intersect, Compliant | PartiallyCompliant) => Some(PartiallyCompliant),
        _ => None,
    }
}

/// How cautious a result is, for choosing between inferences of equal
/// strength: the more cautious one wins.
fn caution(result: ResultKind) -> u8 {
    match result {
        ResultKind::NonCompliant => 0,
        ResultKind::PartiallyCompliant => 1,
        ResultKind::Compliant => 2,
        ResultKind::NotApplicable => 3,
        ResultKind::NotAssessed => 4,
    }
}

/// Of several inferences (result, mapping strength) for one requirement, the
/// one to show: the strongest mapping, and among equals the most cautious result.
pub fn preferred(candidates: &[(ResultKind, u8)]) -> Option<usize> {
    (0..candidates.len()).max_by(|&a, &b| {
        let (ra, sa) = candidates[a];
        let (rb, sb) = candidates[b];
        sa.cmp(&sb).then(caution(rb).cmp(&caution(ra))).then(b.cmp(&a))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultKind::*;

    #[test]
    fn equal_and_superset_carry_subset_and_intersect_carry_at_most_partial() {
        assert_eq!(carried(Relationship::Equal, NonCompliant), Some(NonCompliant));
        assert_eq!(carried(Relationship::Equal, NotApplicable), Some(NotApplicable));
        assert_eq!(carried(Relationship::Superset, Compliant), Some(Compliant));
        assert_eq!(carried(Relationship::Superset, NonCompliant), None);
        assert_eq!(carried(Relationship::Subset, Compliant), Some(PartiallyCompliant));
        assert_eq!(carried(Relationship::Intersect, PartiallyCompliant), Some(PartiallyCompliant));
        assert_eq!(carried(Relationship::Intersect, NonCompliant), None);
        assert_eq!(carried(Relationship::NotRelated, Compliant), None);
        assert_eq!(carried(Relationship::Equal, NotAssessed), None);
        assert_eq!(
            carried(Relationship::Subset.inverse(), Compliant),
            Some(Compliant),
            "read the other way, a subset is a superset"
        );
    }

    #[test]
    fn the_strongest_mapping_wins_and_ties_go_to_the_cautious_result() {
        assert_eq!(preferred(&[(Compliant, 5), (PartiallyCompliant, 8)]), Some(1));
        assert_eq!(preferred(&[(Compliant, 8), (NonCompliant, 8)]), Some(1));
        assert_eq!(preferred(&[(Compliant, 8), (Compliant, 8)]), Some(0), "the first of equals");
        assert_eq!(preferred(&[]), None);
    }
}
