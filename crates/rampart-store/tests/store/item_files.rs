//! Files of shared items: the owner attaches them, whoever may see the item
//! reads them, nobody else learns they exist.

use rampart_domain::OrgKind;
use rampart_domain::incident::Marking;
use rampart_domain::sharing::Distribution;
use rampart_store::{NewSharedItem, StoreError, store_test};

use crate::ctx;
use crate::summaries::world;

const SHA: &str = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";

/// A body already kept, to attach under `name`.
pub fn kept(name: &str, sha256: &str, size: i64, content_type: &str) -> rampart_store::StoredFile {
    rampart_store::StoredFile { name: name.into(), sha256: sha256.into(), size, content_type: content_type.into() }
}

store_test!(a_reports_files_follow_the_reports_visibility, |store| {
    let w = world(store).await;
    let report = |marking: Marking, recipients: Vec<String>| NewSharedItem {
        community_id: w.isac.clone(),
        kind: "report".into(),
        title: "Quarterly threat report".into(),
        body: serde_json::json!({"description": "What the ISAC saw this quarter"}),
        marking,
        distribution: Distribution::Community,
        recipients,
    };
    let red = store.share_item(&ctx(), &w.alpha, report(Marking::Red, vec![w.beta.clone()])).await.unwrap();
    let file = store
        .add_item_file(&ctx(), &w.alpha, &red.id, &kept("../q3/report.pdf", SHA, 1234, "application/pdf"))
        .await
        .unwrap();
    assert_eq!((file.name.as_str(), file.size), ("report.pdf", 1234), "the name is its last segment");
    assert_eq!(store.item_files(&w.beta, &red.id).await.unwrap().len(), 1, "a named recipient reads it");
    assert_eq!(store.item_file(&w.beta, &file.id).await.unwrap().sha256, SHA);
    assert!(store.item_files(&w.gamma, &red.id).await.unwrap().is_empty(), "a member not named does not");
    assert!(matches!(store.item_file(&w.gamma, &file.id).await, Err(StoreError::NotFound)));
    let outsider = store.create_org(&ctx(), "Outsider", OrgKind::Consumer, None).await.unwrap().id;
    assert!(matches!(store.item_file(&outsider, &file.id).await, Err(StoreError::NotFound)));
    // Only the owner attaches, and not without limit.
    assert!(matches!(
        store.add_item_file(&ctx(), &w.beta, &red.id, &kept("x.pdf", SHA, 1, "application/pdf")).await,
        Err(StoreError::NotFound)
    ));
    let bad = store.add_item_file(&ctx(), &w.alpha, &red.id, &kept("x.pdf", "not-a-hash", 1, "")).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(i) if i.field == "sha256"));
    for n in 1..rampart_store::MAX_FILES_PER_ITEM {
        store
            .add_item_file(&ctx(), &w.alpha, &red.id, &kept(&format!("part-{n}.pdf"), SHA, 1, "application/pdf"))
            .await
            .unwrap();
    }
    let full = store
        .add_item_file(&ctx(), &w.alpha, &red.id, &kept("one-more.pdf", SHA, 1, "application/pdf"))
        .await
        .unwrap_err();
    assert!(matches!(full, StoreError::Invalid(i) if i.field == "file"));
});
