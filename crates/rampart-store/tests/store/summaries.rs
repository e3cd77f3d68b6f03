//! Incident summaries: only what the owner ticks leaves, no observable under
//! a looser marking than its own, and the same observable in two
//! organisations' summaries is correlated only where each may see the
//! other's summary.

use rampart_domain::OrgKind;
use rampart_domain::incident::Marking;
use rampart_domain::observable::ObservableKind;
use rampart_domain::sharing::{Distribution, MemberRole, SummaryChoice};
use rampart_store::{NewSummary, Store, StoreError, store_test};

use crate::ctx;
use crate::incidents::{fields, observable};

pub struct World {
    pub isac: String,
    pub alpha: String,
    pub beta: String,
    pub gamma: String,
}

/// An ISAC with three contributing members.
pub async fn world(store: &Store) -> World {
    let alpha = store.create_org(&ctx(), "Alpha", OrgKind::Provider, None).await.unwrap().id;
    let beta = store.create_org(&ctx(), "Beta", OrgKind::Provider, None).await.unwrap().id;
    let gamma = store.create_org(&ctx(), "Gamma", OrgKind::Consumer, None).await.unwrap().id;
    let isac = store.create_community(&ctx(), &alpha, "ISAC", "").await.unwrap().id;
    for org in [&beta, &gamma] {
        store.add_community_member(&ctx(), None, &isac, org, MemberRole::Contributor).await.unwrap();
    }
    World { isac, alpha, beta, gamma }
}

/// An incident of `org` with an observable per value; its id and the observables' ids.
async fn incident(store: &Store, org: &str, values: &[&str]) -> (String, Vec<String>) {
    let id =
        store.create_incident(&ctx(), org, fields("Beaconing to a C2", rampart_store::now_ms()), &[]).await.unwrap().id;
    let mut observables = Vec::new();
    for v in values {
        observables
            .push(store.add_observable(&ctx(), org, &id, &observable(ObservableKind::Ipv4, v)).await.unwrap().id);
    }
    (id, observables)
}

fn summary(w: &World, marking: Marking, observables: Vec<String>) -> NewSummary {
    NewSummary {
        community_id: w.isac.clone(),
        title: "C2 beaconing from hosting customers".into(),
        marking,
        distribution: Distribution::Community,
        recipients: if marking == Marking::Red { vec![w.beta.clone()] } else { vec![] },
        choice: SummaryChoice {
            summary: "Hosts beaconed to one address every 60 s.".into(),
            category: true,
            observables,
            ..Default::default()
        },
    }
}

store_test!(a_summary_carries_only_what_its_owner_chose, |store| {
    let w = world(store).await;
    let (id, obs) = incident(store, &w.alpha, &["198.51.100.7", "198.51.100.8"]).await;
    let item = store
        .share_incident_summary(&ctx(), &w.alpha, &id, summary(&w, Marking::Green, vec![obs[0].clone()]))
        .await
        .unwrap();
    assert_eq!(item.kind, "incident-summary");
    assert_eq!(item.body["category"], "malicious-code");
    assert_eq!(item.body["observables"], serde_json::json!([{"kind": "ipv4", "value": "198.51.100.7"}]));
    assert!(item.body.get("severity").is_none() && !item.body.to_string().contains("198.51.100.8"));
    assert!(!item.body.to_string().contains("Beaconing to a C2"), "the incident's own title stays home");
    let seen = store.shared_item(&w.gamma, &item.id).await.unwrap();
    assert_eq!(seen.body, item.body, "members read it like any GREEN item");
    assert_eq!(store.summaries_of_incident(&w.alpha, &id).await.unwrap().len(), 1);
    assert!(
        store.summaries_of_incident(&w.beta, &id).await.unwrap().is_empty(),
        "the link to the incident is the owner's"
    );
});

store_test!(a_summary_refuses_what_it_may_not_carry_and_keeps_nothing, |store| {
    let w = world(store).await;
    let (id, obs) = incident(store, &w.alpha, &["198.51.100.7"]).await;
    let strict = rampart_domain::observable::NewObservable {
        tlp: Marking::AmberStrict,
        ..observable(ObservableKind::Domain, "c2.example")
    };
    let strict = store.add_observable(&ctx(), &w.alpha, &id, &strict).await.unwrap().id;
    let refused = store
        .share_incident_summary(&ctx(), &w.alpha, &id, summary(&w, Marking::Green, vec![obs[0].clone(), strict]))
        .await
        .unwrap_err();
    assert!(matches!(&refused, StoreError::Invalid(i) if i.field == "observables[1]"), "{refused}");
    let (other, other_obs) = incident(store, &w.alpha, &["203.0.113.9"]).await;
    let refused =
        store.share_incident_summary(&ctx(), &w.alpha, &id, summary(&w, Marking::Green, other_obs)).await.unwrap_err();
    assert!(
        matches!(&refused, StoreError::Invalid(i) if i.field == "observables[0]"),
        "another incident's observable: {refused}"
    );
    let empty = NewSummary { choice: SummaryChoice::default(), ..summary(&w, Marking::Green, vec![]) };
    assert!(
        matches!(store.share_incident_summary(&ctx(), &w.alpha, &id, empty).await, Err(StoreError::Invalid(i)) if i.field == "summary")
    );
    assert!(
        matches!(
            store.share_incident_summary(&ctx(), &w.beta, &id, summary(&w, Marking::Green, vec![])).await,
            Err(StoreError::NotFound)
        ),
        "only the incident's owner shares it"
    );
    assert!(store.visible_items(&w.gamma, 10).await.unwrap().is_empty(), "nothing was shared");
    let _ = other;
});

store_test!(the_same_observable_in_two_summaries_is_correlated_where_both_may_see, |store| {
    let w = world(store).await;
    let (a_incident, a_obs) = incident(store, &w.alpha, &["198.51.100.7", "198.51.100.9"]).await;
    let (b_incident, b_obs) = incident(store, &w.beta, &["198.51.100.7"]).await;
    let a =
        store.share_incident_summary(&ctx(), &w.alpha, &a_incident, summary(&w, Marking::Green, a_obs)).await.unwrap();
    let b = store
        .share_incident_summary(&ctx(), &w.beta, &b_incident, summary(&w, Marking::Amber, b_obs.clone()))
        .await
        .unwrap();
    let to_alpha = store.correlations(&w.alpha, &a.id).await.unwrap();
    assert_eq!(to_alpha.len(), 1);
    assert_eq!(
        (to_alpha[0].item_id.as_str(), to_alpha[0].owner_name.as_str(), to_alpha[0].value.as_str()),
        (b.id.as_str(), "Beta", "198.51.100.7")
    );
    let to_beta = store.correlations(&w.beta, &b.id).await.unwrap();
    assert_eq!(to_beta.iter().map(|c| c.item_id.as_str()).collect::<Vec<_>>(), vec![a.id.as_str()]);
    assert_eq!(store.correlations(&w.gamma, &a.id).await.unwrap().len(), 1, "a member who sees both sees the link");

    // Gamma's summary is RED for Beta only: Alpha may not see it, so neither
    // side is told of a correlation between Alpha's and Gamma's.
    let (g_incident, g_obs) = incident(store, &w.gamma, &["198.51.100.9"]).await;
    let g =
        store.share_incident_summary(&ctx(), &w.gamma, &g_incident, summary(&w, Marking::Red, g_obs)).await.unwrap();
    assert!(
        store.correlations(&w.alpha, &a.id).await.unwrap().iter().all(|c| c.item_id != g.id),
        "Alpha may not see Gamma's"
    );
    assert!(store.correlations(&w.gamma, &g.id).await.unwrap().is_empty(), "nor is Gamma told Alpha holds it");
    // An outsider sees no summary, and so no correlation.
    let outsider = store.create_org(&ctx(), "Outsider", OrgKind::Consumer, None).await.unwrap().id;
    assert!(store.correlations(&outsider, &a.id).await.unwrap().is_empty());
    // A summary of the same organisation is not a correlation across organisations.
    let (again, again_obs) = incident(store, &w.beta, &["198.51.100.7"]).await;
    store.share_incident_summary(&ctx(), &w.beta, &again, summary(&w, Marking::Green, again_obs)).await.unwrap();
    assert_eq!(store.correlations(&w.beta, &b.id).await.unwrap().len(), 1);
});
