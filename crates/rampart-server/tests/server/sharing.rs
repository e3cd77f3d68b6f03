//! Sharing through the pages and the API: an authority's community, an
//! invitation accepted, an AMBER advisory seen by the member and its client
//! and by nobody else.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rampart_store::store_test;
use serde_json::json;

use crate::browser::Browser;
use crate::{PASSWORD, TestApp};

store_test!(an_authority_shares_an_amber_advisory_with_its_community, |store| {
    let app = TestApp::new(store);
    let authority = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let beta = app.org("Beta Bank").await;
    let client = app.org("Alpha Client").await;

    let mut csirt = Browser::new(&app);
    csirt.login(&authority.admin.email, PASSWORD).await;
    let page = csirt.get("/sharing").await;
    assert!(page.html.contains("in no community yet"));
    let csrf = page.csrf();
    csirt
        .post(
            "/sharing/communities",
            &[("csrf_token", &csrf), ("name", "Hosting ISAC"), ("description", "Providers and the CSIRT")],
        )
        .await;
    let (_, _, mine) = app.api("GET", "/api/v1/communities", Some(&authority.admin.token), None).await;
    let community = mine[0]["id"].as_str().unwrap().to_string();
    assert_eq!(mine[0]["role"], "owner");
    let invited = csirt
        .post(
            &format!("/sharing/communities/{community}/invite"),
            &[("csrf_token", &csrf), ("org", "Alpha Hosting"), ("role", "reader")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER);
    let unknown = csirt
        .post(&format!("/sharing/communities/{community}/invite"), &[("csrf_token", &csrf), ("org", "Nobody")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let advisory = json!({"community_id": community, "title": "Patch the VPN concentrators now", "severity": "critical",
                          "affected": ["VPN 9.1"], "actions": "upgrade to 9.2", "references": ["https://nvd.nist.gov/vuln/detail/CVE-2024-3400"],
                          "tlp": "amber", "distribution": "community"});
    let (status, ..) =
        app.api("POST", "/api/v1/advisories", Some(&authority.viewer.token), Some(advisory.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers do not publish");
    let mut bad = advisory.clone();
    bad["references"] = json!(["javascript:alert(1)"]);
    let (status, _, problem) = app.api("POST", "/api/v1/advisories", Some(&authority.analyst.token), Some(bad)).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("references[0]"))
    );
    let (status, _, item) = app.api("POST", "/api/v1/advisories", Some(&authority.analyst.token), Some(advisory)).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(item["kind"], "advisory");
    let id = item["id"].as_str().unwrap().to_string();

    let feed = |token: String| {
        let app = &app;
        async move { app.api("GET", "/api/v1/shared-items", Some(&token), None).await.2 }
    };
    assert_eq!(feed(alpha.viewer.token.clone()).await, json!([]), "an invitation is not a membership");
    let mut alpha_admin = Browser::new(&app);
    alpha_admin.login(&alpha.admin.email, PASSWORD).await;
    let page = alpha_admin.get("/sharing").await;
    assert!(page.html.contains("Accept the invitation"));
    alpha_admin.post(&format!("/sharing/communities/{community}/accept"), &[("csrf_token", &page.csrf())]).await;
    let seen = feed(alpha.viewer.token.clone()).await;
    assert_eq!(seen[0]["title"], "Patch the VPN concentrators now");
    assert_eq!((seen[0]["tlp"].as_str(), seen[0]["owner"]["name"].as_str()), (Some("amber"), Some("National CSIRT")));
    let page = alpha_admin.get("/sharing").await;
    assert!(page.html.contains("TLP:AMBER") && page.html.contains("Patch the VPN concentrators now"));
    let item_page = alpha_admin.get(&format!("/sharing/items/{id}")).await;
    assert!(item_page.html.contains("upgrade to 9.2") && item_page.html.contains("critical"));
    alpha_admin.post(&format!("/sharing/items/{id}/acknowledge"), &[("csrf_token", &item_page.csrf())]).await;
    let item_page = alpha_admin.get(&format!("/sharing/items/{id}")).await;
    assert!(
        item_page.html.contains("Acknowledged by admin@alpha-hosting.example")
            && !item_page.html.contains(">Acknowledge</button>")
    );
    let (_, _, owned) =
        app.api("GET", &format!("/api/v1/shared-items/{id}"), Some(&authority.viewer.token), None).await;
    assert_eq!(owned["acknowledgements"][0]["organisation"], "Alpha Hosting", "the authority sees who acknowledged");

    assert_eq!(feed(client.viewer.token.clone()).await, json!([]));
    let (status, ..) =
        app.api("POST", "/api/v1/clients", Some(&alpha.admin.token), Some(json!({"org": "Alpha Client"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(feed(client.viewer.token.clone()).await[0]["id"], id.as_str(), "AMBER reaches the member's clients");

    assert_eq!(feed(beta.admin.token.clone()).await, json!([]), "a non-member sees nothing");
    let (status, ..) = app.api("GET", &format!("/api/v1/shared-items/{id}"), Some(&beta.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) =
        app.api("GET", &format!("/api/v1/communities/{community}/members"), Some(&beta.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor who is in the community");
    let mut beta_admin = Browser::new(&app);
    beta_admin.login(&beta.admin.email, PASSWORD).await;
    let page = beta_admin.get(&format!("/sharing/items/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    let red =
        json!({"community_id": community, "kind": "advisory", "title": "x", "tlp": "red", "distribution": "community"});
    let (status, _, problem) = app.api("POST", "/api/v1/shared-items", Some(&authority.analyst.token), Some(red)).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("recipients"))
    );
    let (status, ..) = app
        .api("POST", "/api/v1/shared-items", Some(&alpha.analyst.token), Some(json!({"community_id": community, "kind": "advisory", "title": "y", "tlp": "green", "distribution": "community"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a reader of the community does not share in it");
});

/// An incident of `org` with IPv4 observables, shared as a GREEN summary in
/// `community` with all of them; the item and the incident's id.
async fn summary_of_incident(
    app: &TestApp,
    org: &crate::Org,
    community: &str,
    values: &[&str],
) -> (serde_json::Value, String) {
    let (status, _, incident) = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&org.analyst.token),
            Some(json!({"title": "FS01 beaconing", "category": "malicious-code", "severity": 3, "aware_at": rampart_server::api_time(rampart_store::now_ms())})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_string();
    let mut observables = Vec::new();
    for v in values {
        let (status, _, o) = app
            .api(
                "POST",
                &format!("/api/v1/incidents/{id}/observables"),
                Some(&org.analyst.token),
                Some(json!({"type": "ipv4", "value": v, "tlp": "green"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        observables.push(o["id"].clone());
    }
    let body = json!({"community_id": community, "title": "Beaconing from customer hosts", "tlp": "green", "distribution": "community",
        "summary": "Customer hosts beaconed every 60 s.", "severity": true, "observables": observables});
    let (status, _, item) =
        app.api("POST", &format!("/api/v1/incidents/{id}/summaries"), Some(&org.analyst.token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    (item, id)
}

store_test!(incident_summaries_are_correlated_for_members_who_may_see_both, |store| {
    let app = TestApp::new(store);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let beta = app.org("Beta Bank").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = store.create_community(&ctx, &csirt.id, "Hosting ISAC", "").await.unwrap().id;
    for org in [&alpha.id, &beta.id] {
        store
            .add_community_member(&ctx, None, &isac, org, rampart_domain::sharing::MemberRole::Contributor)
            .await
            .unwrap();
    }
    let (a, a_incident) = summary_of_incident(&app, &alpha, &isac, &["203.0.113.9"]).await;
    assert!(!a.to_string().contains("FS01 beaconing"), "the incident's own title stays home: {a}");

    // Beta shares its summary from the incident page.
    let (_, _, incident) = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&beta.analyst.token),
            Some(json!({"title": "Odd traffic", "category": "malicious-code", "severity": 2, "aware_at": rampart_server::api_time(rampart_store::now_ms())})),
        )
        .await;
    let b_incident = incident["id"].as_str().unwrap().to_string();
    let (_, _, o) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{b_incident}/observables"),
            Some(&beta.analyst.token),
            Some(json!({"type": "ipv4", "value": "203.0.113.9", "tlp": "green"})),
        )
        .await;
    let mut browser = Browser::new(&app);
    browser.login(&beta.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{b_incident}")).await;
    assert!(page.html.contains("Share a summary with a community"));
    let csrf = page.csrf();
    let observable = o["id"].as_str().unwrap();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("community", isac.as_str()),
        ("title", "Traffic to a known C2"),
        ("summary", ""),
        ("observables", observable),
        ("tlp", "green"),
        ("distribution", "community"),
    ];
    let refused = browser.post(&format!("/incidents/{b_incident}/summaries"), &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "an empty summary is refused on the page");
    assert!(refused.html.contains("say what happened"));
    let mut form = form;
    form[4 - 1] = ("summary", "A host talked to the address every minute.");
    let shared = browser.post(&format!("/incidents/{b_incident}/summaries"), &form).await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/incidents/{b_incident}")).await;
    assert!(
        page.html.contains("Traffic to a known C2")
            && page.html.contains("Beaconing from customer hosts")
            && page.html.contains("Alpha Hosting"),
        "the correlation with Alpha's summary shows on the incident"
    );

    let (_, _, correlations) = app
        .api(
            "GET",
            &format!("/api/v1/shared-items/{}/correlations", a["id"].as_str().unwrap()),
            Some(&alpha.viewer.token),
            None,
        )
        .await;
    assert_eq!(correlations.as_array().unwrap().len(), 1, "{correlations}");
    assert_eq!(
        (correlations[0]["owner"].as_str(), correlations[0]["value"].as_str()),
        (Some("Beta Bank"), Some("203.0.113.9"))
    );
    let (_, _, listed) =
        app.api("GET", &format!("/api/v1/incidents/{a_incident}/summaries"), Some(&alpha.viewer.token), None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let item_page = browser.get(&format!("/sharing/items/{}", a["id"].as_str().unwrap())).await;
    assert!(
        item_page.html.contains("Customer hosts beaconed every 60 s.")
            && item_page.html.contains("Traffic to a known C2")
    );

    // A summary goes only from its incident, and only its owner's.
    let forged = json!({"community_id": isac, "kind": "incident-summary", "title": "x", "tlp": "green", "distribution": "community"});
    let (status, _, problem) = app.api("POST", "/api/v1/shared-items", Some(&alpha.analyst.token), Some(forged)).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let body = json!({"community_id": isac, "title": "x", "tlp": "green", "distribution": "community", "summary": "y"});
    let (status, ..) = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{a_incident}/summaries"),
            Some(&beta.analyst.token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) = app
        .api("POST", &format!("/api/v1/incidents/{a_incident}/summaries"), Some(&alpha.viewer.token), Some(body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

store_test!(what_an_organisation_may_see_exports_as_a_valid_stix_bundle, |store| {
    let app = TestApp::new(store);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let beta = app.org("Beta Bank").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = store.create_community(&ctx, &csirt.id, "Hosting ISAC", "").await.unwrap().id;
    store
        .add_community_member(&ctx, None, &isac, &alpha.id, rampart_domain::sharing::MemberRole::Contributor)
        .await
        .unwrap();
    let advisory = json!({"community_id": isac, "title": "Patch the VPN concentrators now", "severity": "critical",
        "affected": ["VPN 9.1"], "actions": "Upgrade to 9.2", "references": ["https://nvd.nist.gov/vuln/detail/CVE-2024-3400"],
        "tlp": "amber", "distribution": "community"});
    app.api("POST", "/api/v1/advisories", Some(&csirt.analyst.token), Some(advisory)).await;
    let indicator = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-11-30T08:00:00.000Z", "modified": "2026-11-30T08:00:00.000Z", "name": "FS01 ransomware C2",
        "description": "Seen beaconing from FS01", "indicator_types": ["malicious-activity"],
        "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": "2026-11-30T08:00:00.000Z"});
    let share = json!({"community_id": isac, "kind": "indicator", "title": "FS01 C2", "body": indicator, "tlp": "green", "distribution": "community"});
    let (status, ..) = app.api("POST", "/api/v1/shared-items", Some(&alpha.analyst.token), Some(share)).await;
    assert_eq!(status, StatusCode::CREATED);
    // An incident summary with two observables goes as an incident related to two SCOs.
    let (summary, _) = summary_of_incident(&app, &alpha, &isac, &["203.0.113.9", "198.51.100.7"]).await;
    let report = json!({"community_id": isac, "kind": "report", "title": "Q3 threat report", "body": {"text": "What we saw"},
        "tlp": "green", "distribution": "community"});
    assert_eq!(
        app.api("POST", "/api/v1/shared-items", Some(&alpha.analyst.token), Some(report)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(summary["kind"], "incident-summary");

    let (status, content_type, bundle) =
        app.api("GET", "/api/v1/shared-items/export", Some(&alpha.viewer.token), None).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "application/stix+json;version=2.1"));
    let text = bundle.to_string();
    let mut objects = Vec::new();
    rampart_stix::read_bundle(text.as_bytes(), |r| objects.push(r.unwrap())).unwrap();
    let of = |kind: &str| objects.iter().filter(|o| o.kind == kind).collect::<Vec<_>>();
    assert_eq!(of("marking-definition").len(), 2, "AMBER and GREEN, the markings used");
    assert_eq!(of("identity").len(), 2, "each owner (Alpha also sighted)");
    let coa = of("course-of-action")[0];
    assert_eq!(rampart_stix::Tlp::of(coa), Some(rampart_stix::Tlp::Amber), "the marking travels with the object");
    assert_eq!(rampart_stix::Tlp::of(of("indicator")[0]), Some(rampart_stix::Tlp::Green));
    let incident = of("incident")[0];
    assert_eq!(incident.to_value()["name"], "Beaconing from customer hosts");
    assert!(incident.to_value()["description"].as_str().unwrap().contains("severity 3 of 4"));
    let addresses = of("ipv4-addr");
    assert_eq!(addresses.len(), 2);
    assert!(
        addresses.iter().any(|a| a.id == "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db"),
        "the id the OASIS library gives 198.51.100.7"
    );
    assert_eq!(of("relationship").len(), 2);
    assert_eq!(of("report")[0].to_value()["name"], "Q3 threat report");
    // The summary's 203.0.113.9 matched the indicator: a sighting by Alpha.
    let sighting = of("sighting")[0].to_value();
    assert_eq!(sighting["sighting_of_ref"], "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_eq!(sighting["count"], 1);
    let by = sighting["where_sighted_refs"][0].as_str().unwrap();
    assert!(of("identity").iter().any(|i| i.id == by && i.to_value()["name"] == "Alpha Hosting"), "{sighting}");
    let file = std::env::temp_dir().join(format!("rampart-shared-{}.json", rampart_domain::new_id()));
    std::fs::write(&file, &text).unwrap();
    match std::process::Command::new("stix2_validator").arg(&file).output() {
        Ok(run) => assert!(
            run.status.success(),
            "stix2_validator refuses the export:\n{}",
            String::from_utf8_lossy(&run.stdout)
        ),
        Err(_) if std::env::var("RAMPART_ORACLES").as_deref() == Ok("1") => panic!("stix2_validator is not installed"),
        Err(_) => eprintln!("SKIPPED the OASIS validator: pip install stix2-validator"),
    }
    let _ = std::fs::remove_file(file);

    let (_, _, nothing) = app.api("GET", "/api/v1/shared-items/export", Some(&beta.viewer.token), None).await;
    let mut count = 0;
    rampart_stix::read_bundle(nothing.to_string().as_bytes(), |_| count += 1).unwrap();
    assert_eq!(count, 0, "a non-member's export holds nothing");
});

store_test!(a_shared_indicator_is_sighted_in_a_members_incident, |store| {
    let app = TestApp::new(store);
    let authority = app.org("National CSIRT").await;
    let member = app.org("Alpha Hosting").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let community = app.store.create_community(&ctx, &authority.id, "Hosting ISAC", "").await.unwrap().id;
    app.store
        .add_community_member(&ctx, None, &community, &member.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();
    let share = |pattern: &str| {
        json!({"community_id": community, "kind": "indicator", "title": "C2 of the week", "tlp": "green", "distribution": "community",
               "body": {"type": "indicator", "spec_version": "2.1", "pattern": pattern, "pattern_type": "stix"}})
    };
    let token = Some(authority.analyst.token.as_str());
    let (status, _, problem) =
        app.api("POST", "/api/v1/shared-items", token, Some(share("[ipv4-addr:value = ]"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "body.pattern");
    assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("line 1, column 20"), "{problem}");
    let (status, _, item) =
        app.api("POST", "/api/v1/shared-items", token, Some(share("[domain-name:value = 'c2.example']"))).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let item = item["id"].as_str().unwrap().to_string();

    let token = Some(member.analyst.token.as_str());
    let body = json!({"title": "Beaconing from a web server", "severity": 3, "category": "malicious-code", "aware_at": "2026-01-01T00:00:00Z"});
    let (_, _, incident) = app.api("POST", "/api/v1/incidents", token, Some(body)).await;
    let incident = incident["id"].as_str().unwrap().to_string();
    let observable = json!({"type": "domain", "value": "C2.Example", "tlp": "amber"});
    app.api("POST", &format!("/api/v1/incidents/{incident}/observables"), token, Some(observable)).await;

    let (status, _, sightings) = app.api("GET", &format!("/api/v1/incidents/{incident}/sightings"), token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sightings.as_array().unwrap().len(), 1, "{sightings}");
    assert_eq!(
        (sightings[0]["indicator"]["owner"].as_str(), sightings[0]["observable"]["value"].as_str()),
        (Some("National CSIRT"), Some("c2.example"))
    );
    let (_, _, reported) =
        app.api("GET", &format!("/api/v1/shared-items/{item}/sightings"), Some(&authority.viewer.token), None).await;
    assert_eq!(reported[0]["organisation"]["name"], "Alpha Hosting");
    assert_eq!(reported[0]["incident_id"], serde_json::Value::Null, "the source does not learn the member's incident");

    let mut browser = Browser::new(&app);
    browser.login(&member.analyst.email, PASSWORD).await;
    let page = browser.get(&format!("/incidents/{incident}")).await;
    assert!(page.html.contains("Shared indicators matched") && page.html.contains("C2 of the week"), "{}", page.html);
    let mut csirt = Browser::new(&app);
    csirt.login(&authority.analyst.email, PASSWORD).await;
    let page = csirt.get(&format!("/sharing/items/{item}")).await;
    assert!(page.html.contains("Sightings") && page.html.contains("Alpha Hosting") && page.html.contains("c2.example"));
    let bare = csirt
        .post_multipart(
            "/sharing/items",
            &[
                ("csrf_token", &page.csrf()),
                ("community_id", &community),
                ("kind", "indicator"),
                ("title", "Bad pattern"),
                ("tlp", "green"),
                ("distribution", "community"),
                ("body", "[url:value LIKE]"),
            ],
            None,
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.html.contains("body.pattern") || bare.html.contains("expected a string literal"), "{}", bare.html);
});

store_test!(an_owner_connects_two_of_its_communities, |store| {
    let app = TestApp::new(store);
    let authority = app.org("National CSIRT").await;
    let outsider = app.org("Beta Bank").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let energy = app.store.create_community(&ctx, &authority.id, "Energy ISAC", "").await.unwrap().id;
    let water = app.store.create_community(&ctx, &authority.id, "Water ISAC", "").await.unwrap().id;

    let mut csirt = Browser::new(&app);
    csirt.login(&authority.admin.email, PASSWORD).await;
    let page = csirt.get("/sharing").await;
    let connected = csirt
        .post(
            &format!("/sharing/communities/{energy}/connect"),
            &[("csrf_token", &page.csrf()), ("connected_id", &water)],
        )
        .await;
    assert_eq!(connected.status, StatusCode::SEE_OTHER);
    let page = csirt.get("/sharing").await;
    assert!(
        page.html.contains("Connected to Water ISAC") && page.html.contains("Connected to Energy ISAC"),
        "{}",
        page.html
    );
    let (_, _, listed) =
        app.api("GET", &format!("/api/v1/communities/{water}/connections"), Some(&authority.viewer.token), None).await;
    assert_eq!(listed, json!([{"id": energy, "name": "Energy ISAC"}]));

    let token = Some(authority.admin.token.as_str());
    let (status, ..) = app
        .api("POST", &format!("/api/v1/communities/{energy}/connections"), token, Some(json!({"community_id": water})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already connected");
    let (status, _, problem) = app
        .api("POST", &format!("/api/v1/communities/{energy}/connections"), token, Some(json!({"community_id": energy})))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("connected_id"))
    );
    let (status, ..) =
        app.api("GET", &format!("/api/v1/communities/{water}/connections"), Some(&outsider.admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a non-member does not see a community's connections");
    let (status, ..) = app
        .api(
            "POST",
            &format!("/api/v1/communities/{energy}/connections"),
            Some(&authority.analyst.token),
            Some(json!({"community_id": water})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins connect");
});

store_test!(the_public_feed_holds_only_clear_items_sent_to_everyone, |store| {
    let config = rampart_server::ServerConfig { public_feed: true, ..rampart_server::ServerConfig::default() };
    let app = TestApp::with_config(store, config);
    let csirt = app.org("National CSIRT").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = store.create_community(&ctx, &csirt.id, "Hosting ISAC", "").await.unwrap().id;
    for (title, tlp, distribution) in [
        ("Patch the VPN concentrators", "clear", "all"),
        ("Only for the ISAC", "clear", "community"),
        ("Green for the ISAC", "green", "all"),
        ("Amber for the ISAC", "amber", "community"),
    ] {
        let advisory = json!({"community_id": isac, "title": title, "severity": "high", "actions": "Upgrade to 9.2",
            "tlp": tlp, "distribution": distribution});
        let (status, ..) = app.api("POST", "/api/v1/advisories", Some(&csirt.analyst.token), Some(advisory)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut anyone = Browser::new(&app);
    let page = anyone.get("/public/feed").await;
    assert_eq!(page.status, StatusCode::OK, "no sign-in needed");
    assert!(page.html.contains("Patch the VPN concentrators") && page.html.contains("Upgrade to 9.2"));
    for hidden in ["Only for the ISAC", "Green for the ISAC", "Amber for the ISAC"] {
        assert!(!page.html.contains(hidden), "{hidden} is not public");
    }
    let (status, content_type, bundle) = app.api("GET", "/public/feed.json", None, None).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "application/stix+json;version=2.1"));
    let mut names = Vec::new();
    rampart_stix::read_bundle(bundle.to_string().as_bytes(), |o| {
        let o = o.unwrap();
        if o.kind == "course-of-action" {
            names.push(o.to_value()["name"].as_str().unwrap().to_string());
        }
    })
    .unwrap();
    assert_eq!(names, vec!["Patch the VPN concentrators"]);

    // Off unless the operator turns it on.
    let closed = TestApp::new(store);
    assert_eq!(Browser::new(&closed).get("/public/feed").await.status, StatusCode::NOT_FOUND);
    assert_eq!(closed.api("GET", "/public/feed.json", None, None).await.0, StatusCode::NOT_FOUND);
});

store_test!(a_report_with_a_file_reaches_whoever_may_see_it, |store| {
    let app = TestApp::new(store);
    let csirt = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let beta = app.org("Beta Bank").await;
    let ctx = rampart_store::ChangeContext::new("setup", "setup");
    let isac = store.create_community(&ctx, &csirt.id, "Hosting ISAC", "").await.unwrap().id;
    store
        .add_community_member(&ctx, None, &isac, &alpha.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();

    let mut author = Browser::new(&app);
    author.login(&csirt.analyst.email, PASSWORD).await;
    let csrf = author.get("/sharing").await.csrf();
    let pdf: &[u8] = b"%PDF-1.7 quarterly threat report";
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("community_id", isac.as_str()),
        ("kind", "report"),
        ("title", "Q3 threat report"),
        ("tlp", "amber"),
        ("distribution", "community"),
        ("recipients", ""),
        ("body", "What the ISAC saw in Q3"),
    ];
    let mut forged = fields;
    forged[2] = ("kind", "incident-summary");
    let refused = author.post_multipart("/sharing/items", &forged, Some(("x.pdf", "application/pdf", pdf))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "a summary is shared from its incident, not the form");
    let shared =
        author.post_multipart("/sharing/items", &fields, Some(("q3-report.pdf", "application/pdf", pdf))).await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER, "{}", shared.html);
    let (_, _, feed) = app.api("GET", "/api/v1/shared-items", Some(&alpha.viewer.token), None).await;
    let id = feed[0]["id"].as_str().unwrap().to_string();
    let (_, _, item) = app.api("GET", &format!("/api/v1/shared-items/{id}"), Some(&alpha.viewer.token), None).await;
    assert_eq!(item["files"][0]["name"], "q3-report.pdf");
    assert_eq!(item["files"][0]["size"], pdf.len());
    let download = item["files"][0]["download"].as_str().unwrap().to_string();

    // A member downloads it, from the API and from the item's page.
    let (status, content_type, body) = app.api("GET", &download, Some(&alpha.viewer.token), None).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(body.as_str().map(str::as_bytes), Some(pdf));
    let mut reader = Browser::new(&app);
    reader.login(&alpha.viewer.email, PASSWORD).await;
    let page = reader.get(&format!("/sharing/items/{id}")).await;
    assert!(
        page.html.contains("q3-report.pdf") && !page.html.contains("Attach a file"),
        "members read; only the owner attaches"
    );
    let file_id = item["files"][0]["id"].as_str().unwrap();
    assert_eq!(reader.get(&format!("/sharing/files/{file_id}")).await.status, StatusCode::OK);
    // An outsider learns nothing, not even that the file exists.
    let (status, ..) = app.api("GET", &download, Some(&beta.viewer.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The owner attaches another over the API; a reader may not.
    let upload = |token: &str, bytes: &'static [u8]| {
        Request::post(format!("/api/v1/shared-items/{id}/files?name=annex.csv"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(bytes))
            .unwrap()
    };
    assert_eq!(app.send(upload(&csirt.analyst.token, b"ip,seen\n203.0.113.9,3")).await.status(), StatusCode::CREATED);
    assert_eq!(app.send(upload(&alpha.admin.token, b"x")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.send(upload(&csirt.analyst.token, b"")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, item) = app.api("GET", &format!("/api/v1/shared-items/{id}"), Some(&alpha.viewer.token), None).await;
    assert_eq!(item["files"].as_array().unwrap().len(), 2);
});
