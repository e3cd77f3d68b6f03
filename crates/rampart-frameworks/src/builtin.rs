//! The libraries that ship with Rampart.

use crate::{Library, parse_yaml};

/// A library compiled into Rampart.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    pub urn: &'static str,
    pub yaml: &'static str,
}

pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        urn: "urn:rampart:framework:iso-iec-27032-practice",
        yaml: include_str!("../library/iso-iec-27032-practice.yaml"),
    },
    BuiltIn {
        urn: "urn:rampart:framework:iso-iec-27001-2022",
        yaml: include_str!("../library/iso-iec-27001-2022.yaml"),
    },
    BuiltIn { urn: "urn:rampart:framework:nist-csf-2.0", yaml: include_str!("../library/nist-csf-2.0.yaml") },
];

/// The mapping sets between the built-in libraries.
pub const BUILT_IN_MAPPINGS: &[BuiltIn] = &[
    BuiltIn {
        urn: "urn:rampart:mapping:iso-iec-27032-practice:iso-iec-27001-2022",
        yaml: include_str!("../library/mappings/iso-iec-27032-practice-to-iso-iec-27001-2022.yaml"),
    },
    BuiltIn {
        urn: "urn:rampart:mapping:iso-iec-27032-practice:nist-csf-2.0",
        yaml: include_str!("../library/mappings/iso-iec-27032-practice-to-nist-csf-2.0.yaml"),
    },
    BuiltIn {
        urn: "urn:rampart:mapping:iso-iec-27001-2022:nist-csf-2.0",
        yaml: include_str!("../library/mappings/iso-iec-27001-2022-to-nist-csf-2.0.yaml"),
    },
];

/// The built-in mapping set with this URN, parsed.
pub fn built_in_mapping(urn: &str) -> Option<crate::MappingSet> {
    let entry = BUILT_IN_MAPPINGS.iter().find(|b| b.urn == urn)?;
    // Every built-in is parsed by this crate's tests, so this cannot fail.
    crate::parse_mapping_yaml(entry.yaml).ok()
}

/// The built-in library with this URN, parsed.
pub fn built_in(urn: &str) -> Option<Library> {
    let entry = BUILT_IN.iter().find(|b| b.urn == urn)?;
    // Every built-in is parsed by this crate's tests, so this cannot fail.
    parse_yaml(entry.yaml).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(urn: &str) -> Library {
        let entry = BUILT_IN.iter().find(|b| b.urn == urn).unwrap();
        match parse_yaml(entry.yaml) {
            Ok(library) => library,
            Err(e) => panic!("{}", e.in_source(urn)),
        }
    }

    fn count_at_depth(library: &Library, depth: usize) -> usize {
        library.depths().into_iter().filter(|d| *d == depth).count()
    }

    #[test]
    fn every_built_in_parses_under_its_own_urn() {
        for entry in BUILT_IN {
            assert_eq!(library(entry.urn).urn, entry.urn);
            assert!(built_in(entry.urn).is_some());
        }
    }

    #[test]
    fn the_27032_practice_catalog_has_at_least_80_assessable_requirements() {
        let catalog = library("urn:rampart:framework:iso-iec-27032-practice");
        let assessable: Vec<_> = catalog.assessable().collect();
        assert!(assessable.len() >= 80, "{} assessable", assessable.len());
        for r in &assessable {
            assert!(
                !r.statement.is_empty() && !r.guidance.is_empty() && !r.evidence.is_empty(),
                "{} is incomplete",
                r.ref_id
            );
            assert!(
                matches!(r.function.as_deref(), Some("prepare" | "prevent" | "detect" | "respond")),
                "{} has no prepare/prevent/detect/respond function",
                r.ref_id
            );
        }
        assert_eq!(catalog.score_scale.len(), 6, "maturity 0–5");
    }

    #[test]
    fn the_27001_outline_has_the_clauses_and_the_93_annex_a_controls() {
        let outline = library("urn:rampart:framework:iso-iec-27001-2022");
        let annex_a: Vec<_> = outline.assessable().filter(|r| r.groups.iter().any(|g| g == "annex-a")).collect();
        assert_eq!(annex_a.len(), 93);
        let themes: Vec<_> = ["5", "6", "7", "8"]
            .iter()
            .map(|t| {
                annex_a
                    .iter()
                    .filter(|r| r.ref_id.strip_prefix("A.").is_some_and(|id| id.starts_with(&format!("{t}."))))
                    .count()
            })
            .collect();
        assert_eq!(themes, vec![37, 8, 14, 34], "organisational, people, physical, technological");
        for clause in 4..=10 {
            assert!(outline.requirements.iter().any(|r| r.ref_id == clause.to_string()), "clause {clause}");
        }
        assert!(outline.assessable().any(|r| r.groups.iter().any(|g| g == "clauses")));
    }

    #[test]
    fn every_built_in_mapping_names_assessable_requirements_of_its_frameworks() {
        for entry in BUILT_IN_MAPPINGS {
            let set = crate::parse_mapping_yaml(entry.yaml).unwrap_or_else(|e| panic!("{}", e.in_source(entry.urn)));
            assert_eq!(set.urn, entry.urn);
            let source = library(&set.source);
            let target = library(&set.target);
            let ids = |l: &Library| l.assessable().map(|r| r.ref_id.clone()).collect::<std::collections::HashSet<_>>();
            let (from, to) = (ids(&source), ids(&target));
            for m in &set.mappings {
                assert!(from.contains(&m.source), "{}: {} is not assessable in {}", entry.urn, m.source, set.source);
                assert!(to.contains(&m.target), "{}: {} is not assessable in {}", entry.urn, m.target, set.target);
            }
        }
        let practices = library("urn:rampart:framework:iso-iec-27032-practice");
        let to_27001 = built_in_mapping("urn:rampart:mapping:iso-iec-27032-practice:iso-iec-27001-2022").unwrap();
        let mapped: std::collections::HashSet<_> = to_27001.mappings.iter().map(|m| m.source.as_str()).collect();
        assert_eq!(mapped.len(), practices.assessable().count(), "every practice maps to ISO/IEC 27001");
        let annex = built_in_mapping("urn:rampart:mapping:iso-iec-27001-2022:nist-csf-2.0").unwrap();
        let controls: std::collections::HashSet<_> = annex.mappings.iter().map(|m| m.source.as_str()).collect();
        assert_eq!(controls.len(), 93, "every Annex A control maps to CSF 2.0");
    }

    #[test]
    fn the_csf_outline_has_6_functions_22_categories_and_106_subcategories() {
        let csf = library("urn:rampart:framework:nist-csf-2.0");
        assert_eq!((count_at_depth(&csf, 0), count_at_depth(&csf, 1), count_at_depth(&csf, 2)), (6, 22, 106));
        assert_eq!(csf.assessable().count(), 106);
        assert_eq!(csf.score_scale.iter().map(|l| l.value).collect::<Vec<_>>(), vec![1, 2, 3, 4], "tiers 1–4");
    }
}
