//! Assessments: scope, workflow, answers, scores and snapshots.

use rampart_domain::assessment::{AssessmentFields, AssessmentRole, AssessmentStatus, ResultFields};
use rampart_domain::{PageRequest, Role};
use rampart_frameworks::built_in;
use rampart_store::{AssessmentFilter, SOURCE_BUILT_IN, Store, StoreError, store_test};

use crate::{HASH, ctx, org_with_admin};

const PRACTICE: &str = "urn:rampart:framework:iso-iec-27032-practice";

/// An organisation with the 27032 practice catalog loaded and an assessment of it.
async fn setup(store: &Store, groups: &[&str]) -> (String, String, String, Vec<rampart_store::RequirementNode>) {
    let (org, admin) = org_with_admin(store, "Alpha").await;
    let loaded = store.import_framework(&ctx(), &org, &built_in(PRACTICE).unwrap(), SOURCE_BUILT_IN).await.unwrap();
    let known: Vec<&str> = loaded.framework.groups.iter().map(|g| g.ref_id.as_str()).collect();
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let fields = AssessmentFields::parse("27032 baseline", "", None, &groups, "", "2027-03-31", &known).unwrap();
    let a = store.create_assessment(&ctx(), &org, &loaded.framework.id, fields).await.unwrap();
    let nodes = store.requirement_nodes(&org, &loaded.framework.id).await.unwrap();
    (org, admin, a.id, nodes)
}

fn node_id(nodes: &[rampart_store::RequirementNode], ref_id: &str) -> String {
    nodes.iter().find(|n| n.requirement.ref_id == ref_id).unwrap().id.clone()
}

fn answer(result: &str, score: Option<i32>) -> ResultFields {
    let justification = if result == "not-applicable" { "We run no Internet service" } else { "" };
    ResultFields::parse(result, score, None, "", justification, "", &[0, 1, 2, 3, 4, 5]).unwrap()
}

store_test!(answers_move_the_scores_in_the_same_transaction, |store| {
    let (org, _, id, nodes) = setup(store, &[]).await;
    let created = store.assessment(&org, &id).await.unwrap();
    assert_eq!((created.status, created.summary.results[0]), (AssessmentStatus::Planned, 107));
    assert_eq!(created.summary.compliance, Some(0.0));
    let ip = [node_id(&nodes, "IP.1"), node_id(&nodes, "IP.3")];
    let done = store.set_results(&ctx(), &org, &id, &ip, &answer("compliant", Some(4))).await.unwrap();
    assert_eq!(done.summary.results[1], 2, "a bulk answer sets each requirement");
    let points = done.summary.points_possible;
    let weights: u32 = built_in(PRACTICE).unwrap().assessable().map(|r| r.weight).sum();
    assert_eq!(points, f64::from(weights), "every applicable requirement carries its weight in points");
    assert!((done.summary.points_earned - 4.8).abs() < 1e-9, "IP.1 and IP.3 weigh 3 and score 4 of 5: 2 × 3 × 4/5");
    let ip_heading = done.summary.headings.iter().find(|h| h.ref_id == "IP").unwrap();
    assert!(ip_heading.compliance.unwrap() > 0.0);
    let na = store
        .set_results(&ctx(), &org, &id, &[node_id(&nodes, "IP.2")], &answer("not-applicable", None))
        .await
        .unwrap();
    assert!(na.summary.points_possible < points, "not applicable leaves the score");
    let heading = store.set_results(&ctx(), &org, &id, &[node_id(&nodes, "IP")], &answer("compliant", None)).await;
    assert!(matches!(&heading, Err(StoreError::Invalid(i)) if i.field == "node_ids[0]"), "{heading:?}");
    let off_scale = ResultFields { score: Some(9), ..answer("compliant", None) };
    assert!(matches!(store.set_results(&ctx(), &org, &id, &ip, &off_scale).await, Err(StoreError::Invalid(_))));

    let work = store.workspace(&org, &id).await.unwrap();
    assert_eq!(work.nodes.len(), work.results.len());
    let i = work.nodes.iter().position(|n| n.requirement.ref_id == "IP.1").unwrap();
    assert_eq!(work.results[i].as_ref().unwrap().fields.score, Some(4));
    assert_eq!(work.scorecard.overall.compliance, store.assessment(&org, &id).await.unwrap().summary.compliance);
    assert!(!work.improvements.is_empty() && work.improvements.iter().all(|a| work.in_scope[a.node]));
});

store_test!(the_scope_limits_what_is_assessed, |store| {
    let (org, _, id, nodes) = setup(store, &["coordinator"]).await;
    let a = store.assessment(&org, &id).await.unwrap();
    let coordinators = nodes.iter().filter(|n| n.requirement.groups.iter().any(|g| g == "coordinator")).count();
    assert_eq!(a.summary.results[0] as usize, coordinators);
    let outside = store.set_results(&ctx(), &org, &id, &[node_id(&nodes, "ACC.1")], &answer("compliant", None)).await;
    assert!(matches!(outside, Err(StoreError::Invalid(_))), "ACC.1 is not a coordinator practice");
});

store_test!(the_workflow_locks_a_done_assessment, |store| {
    let (org, admin, id, nodes) = setup(store, &[]).await;
    let analyst = store.add_member(&ctx(), &org, "ana@alpha.example", Role::Analyst, Some(HASH)).await.unwrap().user_id;
    let skip = store.move_assessment(&ctx(), &org, &id, AssessmentStatus::Done, &admin, true).await.unwrap_err();
    assert!(matches!(&skip, StoreError::Conflict(m) if m.contains("it can move to: in-progress")), "{skip}");
    store.move_assessment(&ctx(), &org, &id, AssessmentStatus::InProgress, &analyst, false).await.unwrap();
    store.set_results(&ctx(), &org, &id, &[node_id(&nodes, "RA.1")], &answer("non-compliant", Some(0))).await.unwrap();
    store
        .set_results(&ctx(), &org, &id, &[node_id(&nodes, "RA.1")], &answer("partially-compliant", Some(2)))
        .await
        .unwrap();
    store.move_assessment(&ctx(), &org, &id, AssessmentStatus::InReview, &analyst, false).await.unwrap();
    store
        .set_assessment_people(
            &ctx(),
            &org,
            &id,
            &[(admin.clone(), AssessmentRole::Reviewer), (analyst.clone(), AssessmentRole::Assessor)],
        )
        .await
        .unwrap();
    let not_reviewer = store.move_assessment(&ctx(), &org, &id, AssessmentStatus::Done, &analyst, false).await;
    assert!(matches!(not_reviewer, Err(StoreError::Forbidden(_))), "only the named reviewer decides");
    let done = store.move_assessment(&ctx(), &org, &id, AssessmentStatus::Done, &admin, true).await.unwrap();
    assert_eq!(done.status, AssessmentStatus::Done);
    let locked = store.set_results(&ctx(), &org, &id, &[node_id(&nodes, "RA.1")], &answer("compliant", None)).await;
    assert!(matches!(locked, Err(StoreError::Conflict(_))));
    assert!(matches!(store.delete_assessment(&ctx(), &org, &id).await, Err(StoreError::Conflict(_))));
    let snapshots = store.assessment_snapshots(&org, &id).await.unwrap();
    let reasons: Vec<&str> = snapshots.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec!["created", "status", "daily", "status", "status"],
        "a snapshot at each status change and one for the day"
    );
    assert_eq!(snapshots[2].summary.results[2], 1, "the day's snapshot follows its last change");
    assert_eq!(snapshots.last().unwrap().summary.results[2], 1);
    let people = store.assessment_people(&org, &id).await.unwrap();
    assert_eq!(people.len(), 2);
    let framework = store.assessment(&org, &id).await.unwrap().framework_id;
    assert!(
        matches!(store.delete_framework(&ctx(), &org, &framework).await, Err(StoreError::Conflict(_))),
        "an assessed framework stays"
    );
});

store_test!(assessments_stay_inside_their_organisation, |store| {
    let (org, _, id, nodes) = setup(store, &[]).await;
    let (other, other_admin) = org_with_admin(store, "Beta").await;
    assert!(matches!(store.assessment(&other, &id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.workspace(&other, &id).await, Err(StoreError::NotFound)));
    let node = [node_id(&nodes, "IP.1")];
    assert!(matches!(
        store.set_results(&ctx(), &other, &id, &node, &answer("compliant", None)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.move_assessment(&ctx(), &other, &id, AssessmentStatus::InProgress, &other_admin, true).await,
        Err(StoreError::NotFound)
    ));
    let stranger = [(other_admin, AssessmentRole::Reviewer)];
    assert!(
        matches!(store.set_assessment_people(&ctx(), &org, &id, &stranger).await, Err(StoreError::Invalid(_))),
        "reviewers are members"
    );
    assert!(
        store
            .list_assessments(&other, &AssessmentFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let listed = store
        .list_assessments(
            &org,
            &AssessmentFilter { status: Some(AssessmentStatus::Planned), ..Default::default() },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    store.delete_assessment(&ctx(), &org, &id).await.unwrap();
    assert!(matches!(store.assessment(&org, &id).await, Err(StoreError::NotFound)));
});

store_test!(evidence_attaches_to_answers_until_the_assessment_is_done, |store| {
    use rampart_domain::assessment::EvidenceFields;
    let (org, admin, id, nodes) = setup(store, &[]).await;
    let node = node_id(&nodes, "BCI.3");
    let sha = "b".repeat(64);
    let file = EvidenceFields::file("restore.pdf", &sha, 1200, "application/pdf", "2027-06-30").unwrap();
    let added = store.add_evidence(&ctx(), &org, &id, &node, file).await.unwrap();
    assert_eq!((added.kind.as_str(), added.node_id.as_str()), ("file", node.as_str()));
    assert!(added.expired("2027-07-01") && !added.expired("2027-06-30"));
    let work = store.workspace(&org, &id).await.unwrap();
    let i = work.nodes.iter().position(|n| n.id == node).unwrap();
    let answer = work.results[i].as_ref().expect("evidence makes an answer row, not assessed");
    assert_eq!((answer.fields.result, answer.evidence.len()), (rampart_domain::assessment::ResultKind::NotAssessed, 1));
    let heading = store
        .add_evidence(
            &ctx(),
            &org,
            &id,
            &node_id(&nodes, "BCI"),
            EvidenceFields::link("", "https://x.example", "").unwrap(),
        )
        .await;
    assert!(matches!(heading, Err(StoreError::Invalid(_))), "headings take no evidence");
    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(matches!(store.evidence(&other, &added.id).await, Err(StoreError::NotFound)));
    for to in [AssessmentStatus::InProgress, AssessmentStatus::InReview, AssessmentStatus::Done] {
        store.move_assessment(&ctx(), &org, &id, to, &admin, true).await.unwrap();
    }
    let locked =
        store.add_evidence(&ctx(), &org, &id, &node, EvidenceFields::link("", "https://x.example", "").unwrap()).await;
    assert!(matches!(locked, Err(StoreError::Conflict(_))));
    assert!(matches!(store.delete_evidence(&ctx(), &org, &added.id).await, Err(StoreError::Conflict(_))));
});
