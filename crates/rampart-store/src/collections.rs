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
    /// (id, version) of every object kept, added now or already there.
    pub kept: Vec<(String, String)>,
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
        objects: tokio::sync::mpsc::Receiver<std::result::Result<StixObject, ObjectError>>,
    ) -> Result<ImportReport> {
        self.import_objects(ctx, org, collection, objects, async { Ok(()) }, None).await
    }

    /// Streams a STIX bundle from `reader` into a collection: the bundle is
    /// read on its own thread and handed over an object at a time, so memory
    /// stays flat however large it is. Answers how many objects it held and
    /// the import's report. When the bundle turns out not to be one (not
    /// JSON, cut short), nothing of it is kept.
    pub async fn import_bundle(
        &self,
        ctx: &ChangeContext,
        org: &str,
        collection: &str,
        reader: impl std::io::Read + Send + 'static,
    ) -> Result<(usize, ImportReport)> {
        let (send, receive) = tokio::sync::mpsc::channel(256);
        let reading = tokio::task::spawn_blocking(move || {
            rampart_stix::read_bundle(reader, |object| {
                let _ = send.blocking_send(object);
            })
        });
        let mut count = 0;
        let read = async {
            let outcome = reading.await.map_err(|e| Invalid::new("bundle", e.to_string()))?;
            count = outcome.map_err(|reason| Invalid::new("bundle", reason))?;
            Ok(())
        };
        let report = self.import_objects(ctx, org, collection, receive, read, None).await?;
        Ok((count, report))
    }

    /// The import itself; `finished` says, once the objects have run out,
    /// whether their source ended well: only then is the transaction
    /// committed. A page of a pull records its provenance and moves the
    /// subscription's cursor in the same transaction.
    pub(crate) async fn import_objects(
        &self,
        ctx: &ChangeContext,
        org: &str,
        collection: &str,
        mut objects: tokio::sync::mpsc::Receiver<std::result::Result<StixObject, ObjectError>>,
        finished: impl std::future::Future<Output = Result<()>>,
        pulled: Option<crate::subscriptions::PulledPage<'_>>,
    ) -> Result<ImportReport> {
        self.collection(org, collection).await?;
        let mut tx = self.write_tx().await?;
        let mut report = ImportReport::default();
        // Each version gets its own date_added, later than any before, so
        // TAXII clients polling with added_after miss nothing.
        let last = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(date_added), 0) AS added FROM stix_objects WHERE collection_id = $1",
        )
        .bind(collection)
        .fetch_one(&mut *tx)
        .await?;
        let mut seq: i64 = last.try_get("seq")?;
        let mut date_added = (now_ms() * 1000).max(last.try_get::<i64, _>("added")? + 1) - 1;
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
            date_added += 1;
            let inserted = sqlx::query(
                "INSERT INTO stix_objects (collection_id, id, version, version_us, type, spec_version, tlp, body, date_added, seq, pull_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (collection_id, id, version) DO NOTHING",
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
            .bind(pulled.as_ref().map(|p| p.pull_id))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                report.added += 1
            } else {
                report.present += 1
            }
            report.kept.push((object.id.clone(), version));
        }
        let state = json!({"added": report.added, "present": report.present, "refused": report.refused_count});
        audit::append(&mut tx, org, ctx, AuditEvent::new("stix.import", "stix_collection", collection, Some(&state)))
            .await?;
        if let Some(page) = pulled {
            page.record(&mut tx, &report).await?;
        }
        finished.await?;
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

/// A collection as TAXII shows it to an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadableCollection {
    pub collection: Collection,
    pub can_write: bool,
}

/// Which versions of each object a query returns (TAXII's `match[version]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFilter {
    Last,
    First,
    All,
    /// Versions at these instants (microseconds).
    At(Vec<i64>),
}

/// A query on a collection's objects (TAXII's filters and paging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectQuery {
    pub object_id: Option<String>,
    /// Only versions added after this instant (microseconds).
    pub added_after: Option<i64>,
    /// Resume after this (date_added, seq), from a previous page's `next`.
    pub after: Option<(i64, i64)>,
    pub limit: usize,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    pub versions: VersionFilter,
}

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub id: String,
    /// As written, '' for an object without `modified` or `created`.
    pub version: String,
    pub date_added: i64,
    pub seq: i64,
    pub body: String,
}

enum Param {
    Text(String),
    Int(i64),
}

impl Store {
    /// The collections `org` may read: its own, and those of the communities
    /// it is an active member of; it may write to its own and, as an owner or
    /// contributor, to its communities'.
    pub async fn readable_collections(&self, org: &str) -> Result<Vec<ReadableCollection>> {
        let rows = sqlx::query(
            "SELECT c.*, m.role AS member_role FROM stix_collections c LEFT JOIN community_members m \
             ON m.community_id = c.community_id AND m.org_id = $1 AND m.state = 'active' \
             WHERE c.org_id = $1 OR m.org_id IS NOT NULL ORDER BY c.created_at, c.id",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let collection = collection_from(r)?;
                let role: Option<String> = r.try_get("member_role")?;
                let can_write = collection.org_id == org || matches!(role.as_deref(), Some("owner" | "contributor"));
                Ok(ReadableCollection { collection, can_write })
            })
            .collect()
    }

    pub async fn readable_collection(&self, org: &str, id: &str) -> Result<ReadableCollection> {
        self.readable_collections(org).await?.into_iter().find(|c| c.collection.id == id).ok_or(StoreError::NotFound)
    }

    /// One page of a collection's objects as `org` may see them (TLP:RED
    /// objects only for the collection's own organisation), in the order they
    /// were added; and whether more follow.
    pub async fn query_objects(
        &self,
        org: &str,
        collection: &str,
        q: &ObjectQuery,
    ) -> Result<(Vec<StoredObject>, bool)> {
        let readable = self.readable_collection(org, collection).await?;
        let mut params = vec![Param::Text(collection.to_string())];
        let mut mark = |p: Param| {
            params.push(p);
            format!("${}", params.len())
        };
        let mut sql = String::from(
            "SELECT o.id, o.version, o.date_added, o.seq, o.body FROM stix_objects o WHERE o.collection_id = $1",
        );
        if readable.collection.org_id != org {
            sql.push_str(" AND o.tlp <> 'red'");
        }
        let one_of = |column: &str, values: &[String], sql: &mut String, mark: &mut dyn FnMut(Param) -> String| {
            if !values.is_empty() {
                let marks: Vec<String> = values.iter().map(|v| mark(Param::Text(v.clone()))).collect();
                sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
            }
        };
        one_of("o.id", q.object_id.as_slice(), &mut sql, &mut mark);
        one_of("o.id", &q.ids, &mut sql, &mut mark);
        one_of("o.type", &q.types, &mut sql, &mut mark);
        one_of("o.spec_version", &q.spec_versions, &mut sql, &mut mark);
        if let Some(after) = q.added_after {
            sql.push_str(&format!(" AND o.date_added > {}", mark(Param::Int(after))));
        }
        if let Some((added, seq)) = q.after {
            let (a, b, c) = (mark(Param::Int(added)), mark(Param::Int(added)), mark(Param::Int(seq)));
            sql.push_str(&format!(" AND (o.date_added > {a} OR (o.date_added = {b} AND o.seq > {c}))"));
        }
        let other = "SELECT 1 FROM stix_objects n WHERE n.collection_id = o.collection_id AND n.id = o.id";
        match &q.versions {
            VersionFilter::All => {}
            VersionFilter::Last => sql.push_str(&format!(" AND NOT EXISTS ({other} AND n.version_us > o.version_us)")),
            VersionFilter::First => sql.push_str(&format!(" AND NOT EXISTS ({other} AND n.version_us < o.version_us)")),
            VersionFilter::At(instants) if instants.is_empty() => return Ok((Vec::new(), false)),
            VersionFilter::At(instants) => {
                let marks: Vec<String> = instants.iter().map(|i| mark(Param::Int(*i))).collect();
                sql.push_str(&format!(" AND o.version_us IN ({})", marks.join(", ")));
            }
        }
        sql.push_str(&format!(" ORDER BY o.date_added, o.seq LIMIT {}", q.limit + 1));
        let mut query = sqlx::query(&sql);
        for param in params {
            query = match param {
                Param::Text(t) => query.bind(t),
                Param::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let more = rows.len() > q.limit;
        let objects = rows
            .iter()
            .take(q.limit)
            .map(|r| {
                Ok(StoredObject {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    date_added: r.try_get("date_added")?,
                    seq: r.try_get("seq")?,
                    body: r.try_get("body")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((objects, more))
    }
}

impl Store {
    /// Deletes every version of an object (or those at `versions`, in
    /// microseconds) from a collection `org` may write to; how many went.
    pub async fn delete_stix_object(
        &self,
        ctx: &ChangeContext,
        org: &str,
        collection: &str,
        id: &str,
        versions: &[i64],
    ) -> Result<u64> {
        let readable = self.readable_collection(org, collection).await?;
        if !readable.can_write {
            return Err(StoreError::Forbidden("this collection is read-only for your organisation".into()));
        }
        let mut tx = self.write_tx().await?;
        let mut deleted = 0;
        if versions.is_empty() {
            deleted += sqlx::query("DELETE FROM stix_objects WHERE collection_id = $1 AND id = $2")
                .bind(collection)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        for version in versions {
            deleted += sqlx::query("DELETE FROM stix_objects WHERE collection_id = $1 AND id = $2 AND version_us = $3")
                .bind(collection)
                .bind(id)
                .bind(*version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        let state = json!({"object": id, "versions": deleted});
        audit::append(&mut tx, org, ctx, AuditEvent::new("stix.delete", "stix_collection", collection, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Keeps a TAXII status resource for `org`.
    pub async fn save_taxii_status(&self, org: &str, id: &str, body: &Value) -> Result<()> {
        sqlx::query("INSERT INTO taxii_statuses (id, org_id, body, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(org)
            .bind(body.to_string())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn taxii_status(&self, org: &str, id: &str) -> Result<Value> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM taxii_statuses WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .fetch_optional(&self.pool)
            .await?;
        let body = body.ok_or(StoreError::NotFound)?;
        serde_json::from_str(&body).map_err(|e| Invalid::new("body", e.to_string()).into())
    }
}
