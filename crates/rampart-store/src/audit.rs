//! Writing, reading and verifying the audit trail (the chain rules live in
//! `rampart_domain::audit`).

use rampart_domain::audit::{AuditEvent, AuditRecord, ChainBreak, ChainVerifier, GENESIS_HASH};
use rampart_domain::{Page, PageRequest};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{ChangeContext, Result, Store, StoreError, now_ms};

/// Appends `event` to `chain` inside the caller's transaction.
///
/// Bumping the head first takes a lock on it, so concurrent writers of one chain
/// queue up instead of forking it.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    chain: &str,
    ctx: &ChangeContext,
    event: AuditEvent,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING")
        .bind(chain)
        .bind(GENESIS_HASH)
        .execute(&mut **tx)
        .await?;
    let head = sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE chain = $1 RETURNING seq, hash")
        .bind(chain)
        .fetch_one(&mut **tx)
        .await?;
    let mut record = AuditRecord {
        chain: chain.to_string(),
        seq: head.try_get("seq")?,
        actor: ctx.actor.clone(),
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        state_digest: event.state_digest,
        at_ms: now_ms(),
        request_id: ctx.request_id.clone(),
        prev_hash: head.try_get("hash")?,
        hash: String::new(),
    };
    record.hash = record.compute_hash();
    sqlx::query(
        "INSERT INTO audit_records (chain, seq, actor, action, object_type, object_id, state_digest, at, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&record.chain)
    .bind(record.seq)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.object_type)
    .bind(&record.object_id)
    .bind(&record.state_digest)
    .bind(record.at_ms)
    .bind(&record.request_id)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE chain = $2")
        .bind(&record.hash)
        .bind(chain)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn record_from_row(r: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        chain: r.try_get("chain")?,
        seq: r.try_get("seq")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        object_type: r.try_get("object_type")?,
        object_id: r.try_get("object_id")?,
        state_digest: r.try_get("state_digest")?,
        at_ms: r.try_get("at")?,
        request_id: r.try_get("request_id")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Narrows an audit listing; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Inclusive lower bound, Unix ms.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, Unix ms.
    pub to_ms: Option<i64>,
}

/// The verification result of one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub chain: String,
    pub result: std::result::Result<i64, ChainBreak>,
}

const VERIFY_BATCH: i64 = 2000;

impl Store {
    /// The organisation's audit trail, newest first.
    pub async fn list_audit(
        &self,
        org_id: &str,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>> {
        let before: i64 = match &page.after {
            Some(cursor) => {
                cursor.parse().map_err(|_| rampart_domain::Invalid::new("after", "is not a cursor from this list"))?
            }
            None => i64::MAX,
        };
        // Absent filters bind NULL and drop out of the WHERE clause: one statement
        // for every combination, which both databases plan well.
        let rows = sqlx::query(
            "SELECT * FROM audit_records WHERE chain = $1 AND seq < $2 \
             AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR object_type = $4) AND ($5 IS NULL OR object_id = $5) \
             AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7) \
             ORDER BY seq DESC LIMIT $8",
        )
        .bind(org_id)
        .bind(before)
        .bind(filter.actor.as_deref())
        .bind(filter.object_type.as_deref())
        .bind(filter.object_id.as_deref())
        .bind(filter.from_ms)
        .bind(filter.to_ms)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let records = rows.iter().map(record_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(records, page.limit, |r| r.seq.to_string()))
    }

    /// How many records a chain holds (its head), without verifying it.
    pub async fn audit_length(&self, chain: &str) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_heads WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Verifies every chain, or only `chain` when given.
    pub async fn verify_audit(&self, chain: Option<&str>) -> Result<Vec<ChainReport>> {
        let heads =
            sqlx::query("SELECT chain, seq, hash FROM audit_heads WHERE ($1 IS NULL OR chain = $1) ORDER BY chain")
                .bind(chain)
                .fetch_all(&self.pool)
                .await?;
        let mut reports = Vec::with_capacity(heads.len());
        for head in &heads {
            let name: String = head.try_get("chain")?;
            let result = self.verify_chain(&name, head.try_get("seq")?, &head.try_get::<String, _>("hash")?).await?;
            reports.push(ChainReport { chain: name, result });
        }
        Ok(reports)
    }

    async fn verify_chain(
        &self,
        chain: &str,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<std::result::Result<i64, ChainBreak>> {
        let mut verifier = ChainVerifier::new(chain);
        let mut after = 0i64;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_records WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(chain)
                .bind(after)
                .bind(VERIFY_BATCH)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                let record = record_from_row(row)?;
                if let Err(broken) = verifier.push(&record) {
                    return Ok(Err(broken));
                }
                after = record.seq;
            }
            if (rows.len() as i64) < VERIFY_BATCH {
                break;
            }
        }
        Ok(verifier.finish(head_seq, head_hash))
    }

    /// Runs `sql` directly: only for tests that tamper with the trail on purpose.
    #[doc(hidden)]
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64> {
        let done = sqlx::raw_sql(sql).execute(&self.pool).await.map_err(StoreError::Database)?;
        Ok(done.rows_affected())
    }
}
