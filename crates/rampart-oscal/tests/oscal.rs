//! OSCAL import on every file of ../shared/data/oscal (NIST's published
//! content): catalogs read, profiles resolved and checked against NIST's own
//! resolution.

use std::collections::BTreeSet;

use rampart_frameworks::Library;
use rampart_oscal::{DocumentKind, ReadOptions, catalog_library, kind_of, parse_catalog, parse_profile, resolve};

fn data(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/oscal").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("SKIPPED: {} is absent", path.display());
            None
        }
    }
}

fn catalog(name: &str) -> Option<Library> {
    let text = data(name)?;
    assert_eq!(kind_of(&text), Some(DocumentKind::Catalog));
    Some(catalog_library(&parse_catalog(&text).unwrap(), &ReadOptions::default()).unwrap())
}

fn node<'a>(library: &'a Library, ref_id: &str) -> &'a rampart_frameworks::Requirement {
    library.requirements.iter().find(|r| r.ref_id == ref_id).unwrap_or_else(|| panic!("{ref_id} is missing"))
}

#[test]
fn the_sp_800_53_moderate_catalog_reads_with_labels_parameters_and_parts() {
    let Some(moderate) = catalog("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json") else { return };
    assert_eq!(
        moderate.urn,
        "urn:oscal:catalog:nist-special-publication-800-53-revision-5.1.1-moderate-impact-baseline"
    );
    assert_eq!(moderate.version, 20240213, "the last-modified date");
    assert_eq!(moderate.assessable().count(), 287);
    assert_eq!(moderate.requirements.iter().filter(|r| r.parent.is_none()).count(), 18, "the families");
    let ac2_1 = node(&moderate, "AC-2(1)");
    assert_eq!((ac2_1.parent.as_deref(), ac2_1.title.as_str()), (Some("AC-2"), "Automated System Account Management"));
    assert_eq!(ac2_1.statement, "Support the management of system accounts using [Assignment: automated mechanisms].");
    let ac2 = node(&moderate, "AC-2");
    assert!(ac2.assessable, "a control with enhancements is assessed too");
    assert!(
        ac2.statement.contains("\nc. Require [Assignment: prerequisites and criteria] for group and role membership;"),
        "{}",
        ac2.statement
    );
    assert!(ac2.statement.contains("\nd. Specify:\n  1. Authorized users of the system;"), "items nest");
    assert!(ac2.guidance.starts_with("Examples of system account types include"), "{}", ac2.guidance);
    let oscal = &ac2.extra.as_ref().unwrap()["oscal"];
    assert_eq!(oscal["id"], "ac-2");
    assert_eq!(oscal["params"][0]["id"], "ac-02_odp.01", "parameters are kept");
    assert!(oscal["parts"].as_array().unwrap().iter().any(|p| p["name"] == "assessment-objective"), "parts are kept");
    let ac1 = node(&moderate, "AC-1");
    assert!(
        ac1.statement
            .contains("[Selection (one or more): organization-level; mission/business process-level; system-level]")
    );
}

#[test]
fn the_csf_catalog_reads_with_withdrawn_subcategories_and_examples() {
    let Some(csf) = catalog("NIST_CSF_v2.0_catalog.json") else { return };
    assert_eq!(csf.requirements.iter().filter(|r| r.parent.is_none()).count(), 6, "the functions");
    assert_eq!(
        node(&csf, "GV").statement,
        "The organization's cybersecurity risk management strategy, expectations, and policy are established, communicated, and monitored"
    );
    let live: Vec<_> = csf.assessable().filter(|r| r.ref_id.contains('-')).collect();
    assert_eq!(live.len(), 106, "the active subcategories");
    let withdrawn = node(&csf, "ID.AM-06");
    assert!(withdrawn.withdrawn && !withdrawn.assessable);
    let oc01 = node(&csf, "GV.OC-01");
    assert_eq!(oc01.statement, "The organizational mission is understood and informs cybersecurity risk management");
    assert!(
        oc01.guidance.starts_with("Implementation examples:\n- Share the organization's mission"),
        "{}",
        oc01.guidance
    );
}

#[test]
fn the_high_catalog_and_the_basic_example_read() {
    if let Some(high) = catalog("NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json") {
        assert!(high.assessable().count() > 287, "HIGH selects more than MODERATE");
    }
    let Some(basic) = catalog("basic-catalog.json") else { return };
    let first = node(&basic, "1.1.1");
    assert!(
        first.statement.contains(
            "[Selection (one or more): initiating a device lock after [Assignment: a duration] of inactivity;"
        ),
        "choices have their own parameters filled in: {}",
        first.statement
    );
}

fn resolved_against_high(profile: &str) -> Option<Library> {
    let profile = parse_profile(&data(profile)?).unwrap();
    let high = parse_catalog(&data("NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json")?).unwrap();
    Some(resolve(&profile, &high, &ReadOptions::default()).unwrap())
}

#[test]
fn the_moderate_profile_resolves_to_what_nist_resolved() {
    let (Some(ours), Some(nist)) = (
        resolved_against_high("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json"),
        catalog("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json"),
    ) else {
        return;
    };
    let ids = |l: &Library| l.assessable().map(|r| r.ref_id.clone()).collect::<BTreeSet<_>>();
    assert_eq!(ids(&ours), ids(&nist), "the same controls as NIST's resolved MODERATE catalog");
    for r in nist.assessable() {
        let o = node(&ours, &r.ref_id);
        assert_eq!((&o.title, &o.statement, &o.parent), (&r.title, &r.statement, &r.parent), "{}", r.ref_id);
    }
    assert_eq!(ours.urn, "urn:oscal:profile:nist-special-publication-800-53-revision-5.1.1-moderate-impact-baseline");
}

#[test]
fn the_low_profile_selects_exactly_its_controls() {
    let Some(text) = data("NIST_SP-800-53_rev5_LOW-baseline_profile.json") else { return };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let wanted: BTreeSet<String> = json["profile"]["imports"][0]["include-controls"][0]["with-ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let Some(low) = resolved_against_high("NIST_SP-800-53_rev5_LOW-baseline_profile.json") else { return };
    let got: BTreeSet<String> =
        low.assessable().map(|r| r.extra.as_ref().unwrap()["oscal"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, wanted);
}

#[test]
fn documents_that_are_not_catalogs_or_profiles_are_told_apart() {
    for name in ["ifa_assessment-results-example.json", "ifa_plan-of-action-and-milestones.json"] {
        let Some(text) = data(name) else { return };
        assert_eq!(kind_of(&text), None, "{name}");
    }
    assert_eq!(kind_of("urn: urn:x\n"), None, "Rampart's YAML is not OSCAL");
}

const SMALL: &str = r#"{"catalog": {"uuid": "u", "metadata": {"title": "Small", "last-modified": "2025-01-31T00:00:00Z", "version": "1", "oscal-version": "1.1.2"},
  "groups": [{"id": "g", "title": "G", "controls": [
    {"id": "c-1", "title": "One", "params": [{"id": "p1", "label": "a number"}],
     "parts": [{"id": "c-1_smt", "name": "statement", "prose": "Do {{ insert: param, p1 }} things."}],
     "controls": [{"id": "c-1.1", "title": "One more", "props": [{"name": "label", "value": "C-1(1)"}]}]},
    {"id": "c-2", "title": "Two", "props": [{"name": "status", "value": "withdrawn"}]}]}]}}"#;

fn profile(body: &str) -> String {
    format!(
        r#"{{"profile": {{"uuid": "p", "metadata": {{"title": "Mine", "last-modified": "2025-02-01T00:00:00Z", "version": "1", "oscal-version": "1.1.2"}}, {body}}}}}"#
    )
}

#[test]
fn profiles_include_exclude_set_parameters_and_alter() {
    let catalog = parse_catalog(SMALL).unwrap();
    let resolved = |body: &str| resolve(&parse_profile(&profile(body)).unwrap(), &catalog, &ReadOptions::default());
    let only_child =
        resolved(r#""imports": [{"href": "c.json", "include-controls": [{"with-ids": ["c-1.1"]}]}]"#).unwrap();
    let c1 = node(&only_child, "c-1");
    assert!(!c1.assessable, "an unselected parent is kept as a heading");
    assert_eq!(only_child.assessable().map(|r| r.ref_id.as_str()).collect::<Vec<_>>(), vec!["C-1(1)"]);

    let body = r#""imports": [{"href": "c.json", "include-all": {}, "exclude-controls": [{"matching": [{"pattern": "c-2*"}]}]}],
      "modify": {"set-parameters": [{"param-id": "p1", "values": ["three"]}],
                 "alters": [{"control-id": "c-1", "adds": [{"position": "after", "by-id": "c-1_smt", "parts": [{"name": "guidance", "prose": "Added."}]}]}]}"#;
    let modified = resolved(body).unwrap();
    let c1 = node(&modified, "c-1");
    assert_eq!((c1.statement.as_str(), c1.guidance.as_str()), ("Do three things.", "Added."));
    assert!(modified.requirements.iter().all(|r| r.ref_id != "c-2"), "excluded by pattern");
    let children = resolved(
        r#""imports": [{"href": "c.json", "include-controls": [{"with-ids": ["c-1"], "with-child-controls": "yes"}]}]"#,
    )
    .unwrap();
    assert_eq!(children.assessable().count(), 2);

    let e = resolved(r#""imports": [{"href": "c.json", "include-controls": [{"with-ids": ["c-9"]}]}]"#).unwrap_err();
    assert_eq!(e.path, "imports[0].include-controls[0].with-ids[0]", "{e}");
    let e = resolved(
        r#""imports": [{"href": "c.json", "include-all": {}}], "modify": {"set-parameters": [{"param-id": "nope"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "modify.set-parameters[0].param-id", "{e}");
}

#[test]
fn a_malformed_document_names_the_path_and_the_line() {
    let e = parse_catalog("{\"catalog\": {\"uuid\": \"u\",\n \"metadata\": {\"title\": 5}}}").unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("catalog.metadata.title", Some(2)), "{e}");
    let e = parse_catalog("{\"catalog\": {\n\"uuid\": ").unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    let catalog = parse_catalog(&SMALL.replace("2025-01-31T00:00:00Z", "yesterday")).unwrap();
    let e = catalog_library(&catalog, &ReadOptions::default()).unwrap_err();
    assert_eq!(e.path, "metadata.last-modified");
}

#[test]
fn any_supported_text_is_read_by_its_content() {
    use rampart_oscal::{SourceFormat, read_library};
    let options = ReadOptions::default();
    let (library, format) = read_library(SMALL, None, &options).unwrap();
    assert_eq!((library.urn.as_str(), format), ("urn:oscal:catalog:small", SourceFormat::Oscal));
    let yaml = "urn: urn:x:y\nversion: 1\nname: Y\nrequirements:\n  - ref_id: A\n    title: A\n";
    assert_eq!(read_library(yaml, None, &options).unwrap().1, SourceFormat::Rampart);
    let body = r#""imports": [{"href": "c.json", "include-all": {}}]"#;
    let e = read_library(&profile(body), None, &options).unwrap_err();
    assert!(e.reason.contains("give the catalog"), "{e}");
    assert_eq!(read_library(&profile(body), Some(SMALL), &options).unwrap().0.assessable().count(), 2);
    let both = format!("{{{}, {}}}", &profile(body)[1..profile(body).len() - 1], &SMALL[1..SMALL.len() - 1]);
    let named = ReadOptions { urn: Some("urn:acme:small".into()) };
    assert_eq!(read_library(&both, None, &named).unwrap().0.urn, "urn:acme:small");
    let e = read_library("{\"catalog\": {\n]", None, &options).unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("document", Some(2)), "broken JSON is reported as JSON: {e}");
}
