//! Sharing: the store's queries decide visibility exactly as the rule of
//! docs/SHARING.md (`rampart_domain::sharing::may_see`) does, for every
//! marking, every distribution and every kind of viewer; and a community
//! with only its owner never shows anyone else anything.

use std::collections::BTreeSet;

use rampart_domain::OrgKind;
use rampart_domain::incident::Marking;
use rampart_domain::sharing::{Distribution, MemberRole, Scope, SharingWorld, may_see};
use rampart_store::{NewSharedItem, Store, StoreError, store_test};
use serde_json::json;

use crate::ctx;

/// The same world as the store holds, for the rule in Rust.
#[derive(Default)]
struct World {
    orgs: Vec<String>,
    /// (org, community, active)
    members: Vec<(String, String, bool)>,
    connections: Vec<(String, String)>,
    /// (provider, client)
    clients: Vec<(String, String)>,
}

impl SharingWorld for World {
    fn is_member(&self, org: &str, community: &str) -> bool {
        self.members.iter().any(|(o, c, active)| o == org && c == community && *active)
    }
    fn connected(&self, community: &str) -> Vec<String> {
        self.connections
            .iter()
            .filter_map(|(a, b)| {
                if a == community {
                    Some(b.clone())
                } else if b == community {
                    Some(a.clone())
                } else {
                    None
                }
            })
            .collect()
    }
    fn providers_of(&self, org: &str) -> Vec<String> {
        self.clients.iter().filter(|(_, c)| c == org).map(|(p, _)| p.clone()).collect()
    }
    fn exists(&self, org: &str) -> bool {
        self.orgs.iter().any(|o| o == org)
    }
}

async fn org(store: &Store, world: &mut World, name: &str) -> String {
    let id = store.create_org(&ctx(), name, OrgKind::Provider, None).await.unwrap().id;
    world.orgs.push(id.clone());
    id
}

store_test!(visibility_follows_the_rule_for_every_marking_distribution_and_viewer, |store| {
    let mut w = World::default();
    let owner = org(store, &mut w, "Owner CERT").await;
    let member = org(store, &mut w, "Member").await;
    let invited = org(store, &mut w, "Invited").await;
    let recipient = org(store, &mut w, "Recipient").await;
    let neighbour = org(store, &mut w, "Neighbour").await;
    let client = org(store, &mut w, "Client of member").await;
    let outsider = org(store, &mut w, "Outsider").await;
    let outsiders_client = org(store, &mut w, "Client of outsider").await;
    let lonely = org(store, &mut w, "Lonely").await;

    let c = store.create_community(&ctx(), &owner, "Sector ISAC", "").await.unwrap().id;
    let next_door = store.create_community(&ctx(), &owner, "Regional CSIRTs", "").await.unwrap().id;
    let empty = store.create_community(&ctx(), &lonely, "Empty", "only its owner").await.unwrap().id;
    w.members.extend([
        (owner.clone(), c.clone(), true),
        (owner.clone(), next_door.clone(), true),
        (lonely.clone(), empty.clone(), true),
    ]);
    for (o, role) in [(&member, MemberRole::Contributor), (&recipient, MemberRole::Reader)] {
        store.add_community_member(&ctx(), None, &c, o, role).await.unwrap();
        w.members.push((o.clone(), c.clone(), true));
    }
    store.add_community_member(&ctx(), Some(&owner), &c, &invited, MemberRole::Reader).await.unwrap();
    w.members.push((invited.clone(), c.clone(), false));
    store.add_community_member(&ctx(), None, &next_door, &neighbour, MemberRole::Reader).await.unwrap();
    w.members.push((neighbour.clone(), next_door.clone(), true));
    store.connect_communities(&ctx(), &owner, &c, &next_door).await.unwrap();
    w.connections.push((c.clone(), next_door.clone()));
    store.record_client(&ctx(), &member, &client).await.unwrap();
    store.record_client(&ctx(), &outsider, &outsiders_client).await.unwrap();
    w.clients.extend([(member.clone(), client.clone()), (outsider.clone(), outsiders_client.clone())]);

    let mut scopes = Vec::new();
    for (sharer, community, red_for) in [(&owner, &c, &recipient), (&lonely, &empty, &lonely)] {
        for marking in Marking::ALL {
            for distribution in Distribution::ALL {
                let recipients = if *marking == Marking::Red { vec![red_for.clone()] } else { vec![] };
                let new = NewSharedItem {
                    community_id: community.clone(),
                    kind: "indicator".into(),
                    title: format!("{marking} {distribution}"),
                    body: json!({"pattern": "[ipv4-addr:value = '203.0.113.9']"}),
                    marking: *marking,
                    distribution: *distribution,
                    recipients: recipients.clone(),
                };
                let item = store.share_item(&ctx(), sharer, new).await.unwrap();
                let scope = Scope {
                    owner: sharer.clone(),
                    community: community.clone(),
                    marking: *marking,
                    distribution: *distribution,
                    recipients,
                };
                scopes.push((item.id, scope));
            }
        }
    }
    assert_eq!(scopes.len(), 2 * 5 * 4);
    for viewer in &w.orgs {
        let seen: BTreeSet<String> =
            store.visible_items(viewer, 1000).await.unwrap().into_iter().map(|i| i.id).collect();
        let expected: BTreeSet<String> =
            scopes.iter().filter(|(_, s)| may_see(s, viewer, &w)).map(|(id, _)| id.clone()).collect();
        assert_eq!(seen, expected, "what {viewer} sees");
        for (id, scope) in &scopes {
            let one = store.shared_item(viewer, id).await;
            assert_eq!(one.is_ok(), may_see(scope, viewer, &w), "{viewer} reading {id} alone");
            if scope.community == empty && viewer != &lonely && scope.distribution != Distribution::All {
                assert!(matches!(one, Err(StoreError::NotFound)), "a community of one leaks nothing");
            }
        }
    }
    // Spot checks of the rule itself, in words.
    let sees = |viewer: &str, m: Marking, d: Distribution| {
        scopes.iter().any(|(_, s)| s.community == c && s.marking == m && s.distribution == d && may_see(s, viewer, &w))
    };
    assert!(sees(&client, Marking::Amber, Distribution::Community), "AMBER reaches a member's clients");
    assert!(!sees(&client, Marking::AmberStrict, Distribution::Community), "AMBER+STRICT does not");
    assert!(!sees(&outsiders_client, Marking::Amber, Distribution::Community), "nor an outsider's clients");
    assert!(!sees(&invited, Marking::Green, Distribution::Community), "an invitation is not a membership");
    assert!(sees(&neighbour, Marking::Green, Distribution::Connected), "GREEN reaches connected communities");
    assert!(!sees(&neighbour, Marking::Amber, Distribution::Connected), "AMBER stays in its community");
    assert!(sees(&outsider, Marking::Clear, Distribution::All) && !sees(&outsider, Marking::Green, Distribution::All));
    assert!(
        sees(&recipient, Marking::Red, Distribution::Community)
            && !sees(&member, Marking::Red, Distribution::Community)
    );
    assert!(!sees(&member, Marking::Clear, Distribution::Organisation));
});

store_test!(only_members_share_and_red_names_members, |store| {
    let owner = store.create_org(&ctx(), "Owner", OrgKind::Authority, None).await.unwrap().id;
    let reader = store.create_org(&ctx(), "Reader", OrgKind::Consumer, None).await.unwrap().id;
    let outsider = store.create_org(&ctx(), "Outsider", OrgKind::Consumer, None).await.unwrap().id;
    let c = store.create_community(&ctx(), &owner, "ISAC", "").await.unwrap().id;
    assert!(matches!(store.create_community(&ctx(), &owner, "ISAC", "").await, Err(StoreError::Conflict(_))));
    store.add_community_member(&ctx(), Some(&owner), &c, &reader, MemberRole::Reader).await.unwrap();
    let new = |marking, recipients: Vec<String>| NewSharedItem {
        community_id: c.clone(),
        kind: "advisory".into(),
        title: "Patch the VPN".into(),
        body: json!({}),
        marking,
        distribution: Distribution::Community,
        recipients,
    };
    let refused = store.share_item(&ctx(), &reader, new(Marking::Green, vec![])).await.unwrap_err();
    assert!(matches!(refused, StoreError::NotFound), "an invited organisation is not a member yet: {refused}");
    store.accept_community_invitation(&ctx(), &reader, &c).await.unwrap();
    assert!(
        matches!(store.share_item(&ctx(), &reader, new(Marking::Green, vec![])).await, Err(StoreError::Conflict(_))),
        "readers read"
    );
    assert!(matches!(
        store.share_item(&ctx(), &outsider, new(Marking::Green, vec![])).await,
        Err(StoreError::NotFound)
    ));
    let bad = store.share_item(&ctx(), &owner, new(Marking::Red, vec![outsider.clone()])).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(ref i) if i.field == "recipients[0]"), "{bad}");
    assert!(matches!(store.share_item(&ctx(), &owner, new(Marking::Red, vec![])).await, Err(StoreError::Invalid(_))));
    let item = store.share_item(&ctx(), &owner, new(Marking::Red, vec![reader.clone()])).await.unwrap();
    assert_eq!(store.shared_item(&reader, &item.id).await.unwrap().title, "Patch the VPN");
    assert!(store.acknowledgements(&owner, &item.id).await.unwrap().is_empty());
    store.acknowledge_item(&ctx(), &reader, &item.id).await.unwrap();
    store.acknowledge_item(&ctx(), &reader, &item.id).await.unwrap();
    let acks = store.acknowledgements(&owner, &item.id).await.unwrap();
    assert_eq!(acks.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(), ["Reader"], "once, and the owner sees who");
    assert!(matches!(store.acknowledge_item(&ctx(), &owner, &item.id).await, Err(StoreError::Conflict(_))));
    assert!(
        matches!(store.acknowledge_item(&ctx(), &outsider, &item.id).await, Err(StoreError::NotFound)),
        "nor what it cannot see"
    );
    assert!(matches!(store.acknowledgements(&outsider, &item.id).await, Err(StoreError::NotFound)));
    assert!(
        matches!(
            store.add_community_member(&ctx(), Some(&reader), &c, &outsider, MemberRole::Reader).await,
            Err(StoreError::Conflict(_))
        ),
        "only owners invite"
    );
    let mine = store.communities_of(&reader).await.unwrap();
    assert_eq!((mine[0].0.name.as_str(), mine[0].1.state.as_str()), ("ISAC", "active"));
});

/// An indicator shared with `marking` in `community` by `org`.
async fn share_indicator(
    store: &Store,
    org: &str,
    community: &str,
    pattern: &str,
) -> rampart_store::Result<rampart_store::SharedItem> {
    let item = NewSharedItem {
        community_id: community.into(),
        kind: "indicator".into(),
        title: format!("Indicator {pattern}"),
        body: json!({"type": "indicator", "spec_version": "2.1", "pattern": pattern, "pattern_type": "stix"}),
        marking: Marking::Green,
        distribution: Distribution::Community,
        recipients: vec![],
    };
    store.share_item(&ctx(), org, item).await
}

/// An incident of `org` holding one observable; its id and the observable's.
async fn incident_with(
    store: &Store,
    org: &str,
    kind: rampart_domain::observable::ObservableKind,
    value: &str,
    tlp: Marking,
) -> String {
    let incident = store
        .create_incident(&ctx(), org, crate::incidents::fields("Case", rampart_store::now_ms()), &[])
        .await
        .unwrap()
        .id;
    let observable = rampart_domain::observable::NewObservable { tlp, ..crate::incidents::observable(kind, value) };
    store.add_observable(&ctx(), org, &incident, &observable).await.unwrap();
    incident
}

store_test!(shared_indicators_become_sightings_for_those_who_may_see_them, |store| {
    use rampart_domain::observable::ObservableKind::{Domain, Ipv4, Sha256, Url};
    let csirt = store.create_org(&ctx(), "CSIRT", OrgKind::Authority, None).await.unwrap().id;
    let member = store.create_org(&ctx(), "Member", OrgKind::Provider, None).await.unwrap().id;
    let outsider = store.create_org(&ctx(), "Outsider", OrgKind::Provider, None).await.unwrap().id;
    let isac = store.create_community(&ctx(), &csirt, "ISAC", "").await.unwrap().id;
    store.add_community_member(&ctx(), None, &isac, &member, MemberRole::Contributor).await.unwrap();

    // Observables recorded before the indicator is shared.
    let case = incident_with(store, &member, Ipv4, "198.51.100.7", Marking::Amber).await;
    let observable = rampart_domain::observable::NewObservable {
        tlp: Marking::Red,
        ..crate::incidents::observable(Domain, "c2.example")
    };
    store.add_observable(&ctx(), &member, &case, &observable).await.unwrap();
    let outside_case = incident_with(store, &outsider, Ipv4, "198.51.100.7", Marking::Green).await;

    let exact =
        share_indicator(store, &csirt, &isac, "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'C2.Example']")
            .await
            .unwrap();
    let own = store.sightings_of_item(&member, &exact.id).await.unwrap();
    assert_eq!(own.len(), 2, "the member's address and domain (names compare without case)");
    assert!(own.iter().all(|s| s.incident_id.as_deref() == Some(case.as_str()) && s.org_name == "Member"));
    let reported = store.sightings_of_item(&csirt, &exact.id).await.unwrap();
    assert_eq!(reported.len(), 1, "the source is not told of the TLP:RED observable");
    assert_eq!(
        (reported[0].value.as_str(), reported[0].incident_id.as_deref()),
        ("198.51.100.7", None),
        "nor of the member's incident"
    );
    assert!(matches!(store.sightings_of_item(&outsider, &exact.id).await, Err(StoreError::NotFound)));
    assert!(
        store.sightings_in_incident(&outsider, &outside_case).await.unwrap().is_empty(),
        "no sighting for who may not see it"
    );

    // Observables recorded after: exact values by lookup, other patterns by matching.
    let hash = "AB".repeat(32);
    share_indicator(store, &csirt, &isac, &format!("[file:hashes.'SHA-256' = '{hash}']")).await.unwrap();
    let like = share_indicator(store, &csirt, &isac, "[url:value LIKE '%/evil/%']").await.unwrap();
    let observable = crate::incidents::observable(Sha256, &hash.to_lowercase());
    store.add_observable(&ctx(), &member, &case, &observable).await.unwrap();
    store
        .add_observable(&ctx(), &member, &case, &crate::incidents::observable(Url, "https://x.example/evil/a"))
        .await
        .unwrap();
    store
        .add_observable(&ctx(), &member, &case, &crate::incidents::observable(Url, "https://x.example/good/a"))
        .await
        .unwrap();
    incident_with(store, &outsider, Url, "https://x.example/evil/a", Marking::Green).await;
    let in_case = store.sightings_in_incident(&member, &case).await.unwrap();
    let mut titles: Vec<&str> = in_case.iter().map(|s| s.value.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["198.51.100.7", &"ab".repeat(32), "c2.example", "https://x.example/evil/a"]);
    let from_like = store.sightings_of_item(&csirt, &like.id).await.unwrap();
    assert_eq!(
        from_like.iter().map(|s| s.org_name.as_str()).collect::<Vec<_>>(),
        ["Member"],
        "the outsider's URL is not sighted"
    );
});

store_test!(an_indicator_whose_pattern_does_not_parse_is_refused_whole, |store| {
    let csirt = store.create_org(&ctx(), "CSIRT", OrgKind::Authority, None).await.unwrap().id;
    let isac = store.create_community(&ctx(), &csirt, "ISAC", "").await.unwrap().id;
    let before = store.visible_items(&csirt, 100).await.unwrap().len();
    let Err(StoreError::Invalid(e)) = share_indicator(store, &csirt, &isac, "[ipv4-addr:value = ]").await else {
        panic!("accepted")
    };
    assert_eq!(e.field, "body.pattern");
    assert!(e.reason.starts_with("line 1, column 20: expected a value"), "{}", e.reason);
    let Err(StoreError::Invalid(e)) = share_indicator(store, &csirt, &isac, "[file:hashes.MD5 = 'f00']").await else {
        panic!("accepted")
    };
    assert!(e.reason.contains("not a valid MD5 hash"), "{}", e.reason);
    assert_eq!(store.visible_items(&csirt, 100).await.unwrap().len(), before, "nothing stored");
});
