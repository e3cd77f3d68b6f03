//! STIX collections: STIX 2.1 objects an organisation keeps, on its own or
//! for one of its communities, every version of an object by its
//! `modified`. Imports stream: objects arrive one at a time from a bundle
//! read elsewhere, each invalid one is reported with its index and reason,
//! and the valid ones are kept, all in one transaction.

use rampart_domain::Invalid;
use rampart_domain::audit::AuditEvent;
use rampart_domain::sharing::MemberRole;
use rampart_stix::{ObjectError, StixObject, Tlp};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// Refusals reported one by one; beyond this many only counted.
const MAX_REPORTED: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    pub org_id: String,
    pub community_id: Option<String>,
    pub created_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Versions added.
    pub added: u64,
    /// Versions the collection already held (added again, they change nothing).
    pub present: u64,
    /// Objects refused, with their index and reason (the first 1,000).
    pub refused: Vec<ObjectError>,
    pub refused_count: u64,
}

fn collection_from(r: &AnyRow) -> Result<Collection> {
    Ok(Collection {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        org_id: r.try_get("org_id")?,
        community_id: r.try_get("community_id")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Creates a collection of `org`'s; in `community`, which it must own or
    /// contribute to, when given.
    pub async fn create_collection(
        &self,
        ctx: &ChangeContext,
        org: &str,
        title: &str,
        description: &str,
        community: Option<&str>,
    ) -> Result<Collection> {
        let title = rampart_domain::validate::name("title", title)?;
        let description = rampart_domain::validate::optional_text("description", description, 4000)?;
        let mut tx = self.write_tx().await?;
        if let Some(community) = community {
            match crate::communities::role_in(&mut tx, community, org).await? {
                Some(MemberRole::Owner | MemberRole::Contributor) => {}
                Some(MemberRole::Reader) => {
                    return Err(StoreError::Conflict("readers of a community do not keep collections for it".into()));
                }
                None => return Err(StoreError::NotFound),
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO stix_collections (id, title, description, org_id, community_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&title)
        .bind(&description)
        .bind(org)
        .bind(community)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let state = json!({"title": title, "community": community});
        audit::append(
            &mut tx,
            org,
            ctx,
            AuditEvent::new("stix.collection.create", "stix_collection", &id, Some(&state)),
        )
        .await?;
        let row = sqlx::query("SELECT * FROM stix_collections WHERE id = $1").bind(&id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        collection_from(&row)
    }

    /// Any collection, for the operator (the command line).
    pub async fn collection_by_id(&self, id: &str) -> Result<Collection> {
        let row =
            sqlx::query("SELECT * FROM stix_collections WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(collection_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// A collection of `org`'s own (not yet one it may read through a community).
    pub async fn collection(&self, org: &str, id: &str) -> Result<Collection> {
        let row = sqlx::query("SELECT * FROM stix_collections WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(collection_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Adds the objects `objects` yields to a collection of `org`'s, in one
    /// transaction: each version once, invalid objects reported and left out.
    pub async fn import_stix(
        &self,
        ctx: &ChangeContext,
        org: &str,
        collection: &str,
        mut objects: tokio::sync::mpsc::Receiver<std::result::Result<StixObject, ObjectError>>,
    ) -> Result<ImportReport> {
        self.collection(org, collection).await?;
        let mut tx = self.write_tx().await?;
        let mut report = ImportReport::default();
        let date_added = now_ms() * 1000;
        let mut seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM stix_objects WHERE collection_id = $1")
                .bind(collection)
                .fetch_one(&mut *tx)
                .await?;
        while let Some(object) = objects.recv().await {
            let object = match object {
                Ok(object) => object,
                Err(refused) => {
                    report.refused_count += 1;
                    if report.refused.len() < MAX_REPORTED {
                        report.refused.push(refused);
                    }
                    continue;
                }
            };
            let version = object.version().map(|t| t.as_str().to_string()).unwrap_or_default();
            let version_us = object.version().map_or(0, |t| (t.nanos() / 1000) as i64);
            let body = object.to_value().to_string();
            seq += 1;
            let inserted = sqlx::query(
                "INSERT INTO stix_objects (collection_id, id, version, version_us, type, spec_version, tlp, body, date_added, seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (collection_id, id, version) DO NOTHING",
            )
            .bind(collection)
            .bind(&object.id)
            .bind(&version)
            .bind(version_us)
            .bind(&object.kind)
            .bind(object.spec_version.as_deref().unwrap_or("2.1"))
            .bind(Tlp::of(&object).map_or("", Tlp::as_str))
            .bind(&body)
            .bind(date_added)
            .bind(seq)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 { report.added += 1 } else { report.present += 1 }
        }
        let state = json!({"added": report.added, "present": report.present, "refused": report.refused_count});
        audit::append(&mut tx, org, ctx, AuditEvent::new("stix.import", "stix_collection", collection, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The latest version of every object of a collection of `org`'s, in the
    /// order they were first added, handed to `each` one at a time.
    pub async fn export_stix(&self, org: &str, collection: &str, mut each: impl FnMut(Value)) -> Result<u64> {
        self.collection(org, collection).await?;
        let rows = sqlx::query(
            "SELECT o.body FROM stix_objects o WHERE o.collection_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM stix_objects n WHERE n.collection_id = o.collection_id AND n.id = o.id AND n.version_us > o.version_us) \
             ORDER BY o.date_added, o.seq",
        )
        .bind(collection)
        .fetch_all(&self.pool)
        .await?;
        let mut count = 0;
        for row in rows {
            let body: String = row.try_get("body")?;
            each(serde_json::from_str(&body).map_err(|e| Invalid::new("body", e.to_string()))?);
            count += 1;
        }
        Ok(count)
    }

    /// How many versions of how many objects a collection holds.
    pub async fn collection_counts(&self, org: &str, collection: &str) -> Result<(i64, i64)> {
        self.collection(org, collection).await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS versions, COUNT(DISTINCT id) AS objects FROM stix_objects WHERE collection_id = $1",
        )
        .bind(collection)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("versions")?, row.try_get("objects")?))
    }
}
