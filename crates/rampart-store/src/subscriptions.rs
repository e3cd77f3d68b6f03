//! Subscriptions to remote TAXII 2.1 collections and the pulls they make.
//!
//! A subscription belongs to an organisation and feeds one of its local
//! collections (its own, or one it keeps for a community: that is how a
//! community subscribes). Its password or token is sealed with the
//! instance's secret key before it is stored. A pull is leased, so two
//! servers never pull the same subscription at once; each page it fetches
//! is kept in one transaction together with the cursor (the remote's
//! `X-TAXII-Date-Added-Last`), so a pull cut short resumes where it
//! stopped. Every version a pull brings records the pull, and the pull
//! records where it fetched from: the object's provenance.

use std::sync::Arc;

use rampart_domain::audit::AuditEvent;
use rampart_domain::sealed::{SealError, SecretKey};
use rampart_domain::subscription::{FeedAuth, NewSubscription, objects_url};
use rampart_stix::{ObjectError, StixObject};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{ChangeContext, ImportReport, Result, Store, StoreError, audit, found, now_ms};

/// A subscription as its organisation sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub id: String,
    pub org_id: String,
    pub collection_id: String,
    pub collection_title: String,
    pub title: String,
    pub api_root: String,
    pub remote_collection: String,
    /// none, basic or bearer.
    pub auth_kind: String,
    pub username: Option<String>,
    pub pull_every_minutes: i64,
    pub next_pull_at: Option<i64>,
    /// What the next pull asks for: objects added after this instant (as the
    /// remote wrote it); none before the first pull.
    pub added_after: Option<String>,
    pub last_pull_at: Option<i64>,
    /// Why the last pull failed; none when it succeeded.
    pub last_error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

impl Subscription {
    /// Where the remote collection's objects are.
    pub fn objects_url(&self) -> String {
        objects_url(&self.api_root, &self.remote_collection)
    }
}

/// One pull: when, from where, what it brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRecord {
    pub id: String,
    pub subscription_id: String,
    pub collection_id: String,
    pub source_url: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub pages: i64,
    pub added: i64,
    pub present: i64,
    pub refused: i64,
    pub added_after_from: Option<String>,
    pub added_after_to: Option<String>,
    pub error: Option<String>,
}

/// A pull under way: what the client needs to fetch, with the credential
/// opened. Held only in memory, for the length of the pull.
#[derive(Clone)]
pub struct Pull {
    pub id: String,
    pub org_id: String,
    pub subscription_id: String,
    pub collection_id: String,
    /// The remote collection's objects endpoint.
    pub url: String,
    pub auth: FeedAuth,
    /// Where this pull starts: objects added after this instant.
    pub added_after: Option<String>,
}

impl std::fmt::Debug for Pull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential never reaches a log.
        f.debug_struct("Pull")
            .field("id", &self.id)
            .field("subscription_id", &self.subscription_id)
            .field("url", &self.url)
            .field("auth", &self.auth.kind())
            .finish_non_exhaustive()
    }
}

/// A page of a pull, imported with its provenance.
pub(crate) struct PulledPage<'a> {
    pub pull_id: &'a str,
    pub subscription_id: &'a str,
    /// The page's `X-TAXII-Date-Added-Last`, when the remote sent one.
    pub cursor: Option<&'a str>,
}

impl PulledPage<'_> {
    /// Moves the subscription's cursor and counts the page on its pull.
    pub(crate) async fn record(&self, tx: &mut Transaction<'static, Any>, report: &ImportReport) -> Result<()> {
        sqlx::query("UPDATE taxii_subscriptions SET added_after = COALESCE($1, added_after) WHERE id = $2")
            .bind(self.cursor)
            .bind(self.subscription_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE taxii_pulls SET pages = pages + 1, added = added + $1, present = present + $2, refused = refused + $3, \
             added_after_to = COALESCE($4, added_after_to) WHERE id = $5",
        )
        .bind(report.added as i64)
        .bind(report.present as i64)
        .bind(report.refused_count as i64)
        .bind(self.cursor)
        .bind(self.pull_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

const SELECT: &str = "SELECT s.*, c.title AS collection_title FROM taxii_subscriptions s \
                      JOIN stix_collections c ON c.id = s.collection_id";

fn subscription_from(r: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        collection_id: r.try_get("collection_id")?,
        collection_title: r.try_get("collection_title")?,
        title: r.try_get("title")?,
        api_root: r.try_get("api_root")?,
        remote_collection: r.try_get("remote_collection")?,
        auth_kind: r.try_get("auth_kind")?,
        username: r.try_get("username")?,
        pull_every_minutes: r.try_get("pull_every_minutes")?,
        next_pull_at: r.try_get("next_pull_at")?,
        added_after: r.try_get("added_after")?,
        last_pull_at: r.try_get("last_pull_at")?,
        last_error: r.try_get("last_error")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

fn pull_from(r: &AnyRow) -> Result<PullRecord> {
    Ok(PullRecord {
        id: r.try_get("id")?,
        subscription_id: r.try_get("subscription_id")?,
        collection_id: r.try_get("collection_id")?,
        source_url: r.try_get("source_url")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        pages: r.try_get("pages")?,
        added: r.try_get("added")?,
        present: r.try_get("present")?,
        refused: r.try_get("refused")?,
        added_after_from: r.try_get("added_after_from")?,
        added_after_to: r.try_get("added_after_to")?,
        error: r.try_get("error")?,
    })
}

impl Store {
    /// This store, sealing and opening credentials with `key`.
    pub fn with_secret_key(mut self, key: SecretKey) -> Store {
        self.secrets = Some(Arc::new(key));
        self
    }

    fn secret_key(&self) -> Result<&SecretKey> {
        self.secrets.as_deref().ok_or(StoreError::Secret(SealError::NoKey))
    }

    /// Subscribes one of `org`'s collections to a remote collection; the
    /// first scheduled pull is due at once.
    pub async fn create_subscription(
        &self,
        ctx: &ChangeContext,
        org: &str,
        new: NewSubscription,
    ) -> Result<Subscription> {
        let new = new.check()?;
        self.collection(org, &new.collection).await.map_err(|e| match e {
            StoreError::NotFound => {
                rampart_domain::Invalid::new("collection", "is not a collection of your organisation's").into()
            }
            e => e,
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let sealed = match new.auth.secret() {
            Some(secret) => Some(self.secret_key()?.seal(&id, secret)),
            None => None,
        };
        let now = now_ms();
        let next = (new.pull_every_minutes > 0).then_some(now);
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO taxii_subscriptions (id, org_id, collection_id, title, api_root, remote_collection, auth_kind, \
             username, secret_sealed, pull_every_minutes, next_pull_at, leased_until, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13)",
        )
        .bind(&id)
        .bind(org)
        .bind(&new.collection)
        .bind(&new.title)
        .bind(&new.api_root)
        .bind(&new.remote_collection)
        .bind(new.auth.kind())
        .bind(new.auth.username())
        .bind(sealed)
        .bind(new.pull_every_minutes)
        .bind(next)
        .bind(&ctx.actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let state = json!({"title": new.title, "url": new.objects_url(), "collection": new.collection,
                           "auth": new.auth.kind(), "pull_every_minutes": new.pull_every_minutes});
        audit::append(&mut tx, org, ctx, AuditEvent::new("taxii.subscribe", "taxii_subscription", &id, Some(&state)))
            .await?;
        tx.commit().await?;
        self.subscription(org, &id).await
    }

    /// `org`'s subscriptions, newest first.
    pub async fn subscriptions(&self, org: &str) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE s.org_id = $1 ORDER BY s.created_at DESC, s.id"))
            .bind(org)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscription_from).collect()
    }

    pub async fn subscription(&self, org: &str, id: &str) -> Result<Subscription> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2"))
            .bind(id)
            .bind(org)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscription_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Any subscription, for the operator (the command line).
    pub async fn subscription_by_id(&self, id: &str) -> Result<Subscription> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(subscription_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Ends a subscription (and forgets its credential); what it pulled, and
    /// the record of its pulls, stay.
    pub async fn delete_subscription(&self, ctx: &ChangeContext, org: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        found(
            sqlx::query("DELETE FROM taxii_subscriptions WHERE id = $1 AND org_id = $2")
                .bind(id)
                .bind(org)
                .execute(&mut *tx)
                .await?,
        )?;
        audit::append(&mut tx, org, ctx, AuditEvent::new("taxii.unsubscribe", "taxii_subscription", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest pulls of a subscription of `org`'s, newest first.
    pub async fn subscription_pulls(&self, org: &str, id: &str, limit: i64) -> Result<Vec<PullRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM taxii_pulls WHERE subscription_id = $1 AND org_id = $2 ORDER BY started_at DESC, id LIMIT $3",
        )
        .bind(id)
        .bind(org)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pull_from).collect()
    }

    /// The pull that brought a version into a collection of `org`'s, if a
    /// pull brought it.
    pub async fn provenance(&self, org: &str, collection: &str, id: &str, version: &str) -> Result<Option<PullRecord>> {
        let row = sqlx::query(
            "SELECT p.* FROM stix_objects o JOIN taxii_pulls p ON p.id = o.pull_id \
             WHERE o.collection_id = $1 AND o.id = $2 AND o.version = $3 AND p.org_id = $4",
        )
        .bind(collection)
        .bind(id)
        .bind(version)
        .bind(org)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(pull_from).transpose()
    }

    /// The subscriptions whose scheduled pull is due, at most `limit`.
    pub async fn due_subscriptions(&self, now: i64, limit: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT org_id, id FROM taxii_subscriptions WHERE next_pull_at <= $1 AND leased_until <= $1 \
             ORDER BY next_pull_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("org_id")?, r.try_get("id")?))).collect()
    }

    /// Starts a pull of a subscription of `org`'s: leases it for `lease_ms`
    /// (a `Conflict` when another pull holds it), records the pull, and
    /// opens the credential.
    pub async fn start_pull(&self, org: &str, id: &str, lease_ms: i64) -> Result<Pull> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT * FROM taxii_subscriptions WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let leased = sqlx::query(
            "UPDATE taxii_subscriptions SET leased_until = $1 WHERE id = $2 AND org_id = $3 AND leased_until <= $4",
        )
        .bind(now + lease_ms)
        .bind(id)
        .bind(org)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if leased == 0 {
            return Err(StoreError::Conflict(
                "this subscription is being pulled already; try again when that pull ends".into(),
            ));
        }
        let sealed: Option<String> = row.try_get("secret_sealed")?;
        let secret = match sealed {
            Some(sealed) => Some(self.secret_key()?.open(id, &sealed)?),
            None => None,
        };
        let auth = FeedAuth::from_parts(&row.try_get::<String, _>("auth_kind")?, row.try_get("username")?, secret);
        let url = objects_url(&row.try_get::<String, _>("api_root")?, &row.try_get::<String, _>("remote_collection")?);
        let added_after: Option<String> = row.try_get("added_after")?;
        let collection_id: String = row.try_get("collection_id")?;
        let pull_id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO taxii_pulls (id, subscription_id, org_id, collection_id, source_url, started_at, pages, added, present, \
             refused, added_after_from) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, $7)",
        )
        .bind(&pull_id)
        .bind(id)
        .bind(org)
        .bind(&collection_id)
        .bind(&url)
        .bind(now)
        .bind(&added_after)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Pull {
            id: pull_id,
            org_id: org.to_string(),
            subscription_id: id.to_string(),
            collection_id,
            url,
            auth,
            added_after,
        })
    }

    /// Keeps one page of a pull: its objects, with their provenance, and the
    /// cursor `date_added_last` (the page's `X-TAXII-Date-Added-Last`), in
    /// one transaction.
    pub async fn import_pulled(
        &self,
        ctx: &ChangeContext,
        pull: &Pull,
        objects: tokio::sync::mpsc::Receiver<std::result::Result<StixObject, ObjectError>>,
        date_added_last: Option<&str>,
    ) -> Result<ImportReport> {
        let page = PulledPage { pull_id: &pull.id, subscription_id: &pull.subscription_id, cursor: date_added_last };
        self.import_objects(ctx, &pull.org_id, &pull.collection_id, objects, async { Ok(()) }, Some(page)).await
    }

    /// Ends a pull (`error` says why it stopped short), frees the
    /// subscription and schedules its next pull.
    pub async fn finish_pull(&self, ctx: &ChangeContext, pull: &Pull, error: Option<&str>) -> Result<PullRecord> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE taxii_pulls SET finished_at = $1, error = $2 WHERE id = $3")
            .bind(now)
            .bind(error)
            .bind(&pull.id)
            .execute(&mut *tx)
            .await?;
        // A subscription deleted during its pull has nothing left to update.
        sqlx::query(
            "UPDATE taxii_subscriptions SET leased_until = 0, last_pull_at = $1, last_error = $2, \
             next_pull_at = CASE WHEN pull_every_minutes > 0 THEN $3 + pull_every_minutes * 60000 ELSE NULL END \
             WHERE id = $4",
        )
        .bind(now)
        .bind(error)
        .bind(now)
        .bind(&pull.subscription_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM taxii_pulls WHERE id = $1").bind(&pull.id).fetch_one(&mut *tx).await?;
        let record = pull_from(&row)?;
        let state = json!({"pull": record.id, "pages": record.pages, "added": record.added, "present": record.present,
                           "refused": record.refused, "error": error});
        audit::append(
            &mut tx,
            &pull.org_id,
            ctx,
            AuditEvent::new("taxii.pull", "taxii_subscription", &pull.subscription_id, Some(&state)),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }
}
