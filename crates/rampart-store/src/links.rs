//! Many-to-many links between two objects of one organisation (a
//! vulnerability affects assets, a risk scenario concerns assets…), each
//! change audited under the owning object.

use rampart_domain::audit::AuditEvent;

use crate::{ChangeContext, Result, StoreError, audit};

/// A link table: `table (org_id, owner_col, other_col)`, where `owner_col`
/// points into `owner_table` and `other_col` into `other_table`.
pub(crate) struct LinkTable {
    pub table: &'static str,
    pub owner_table: &'static str,
    pub owner_col: &'static str,
    pub other_table: &'static str,
    pub other_col: &'static str,
    /// The audited object type and actions, e.g. `vulnerability`,
    /// `vulnerability.affect`, `vulnerability.unaffect`.
    pub object_type: &'static str,
    pub added: &'static str,
    pub removed: &'static str,
    /// What a duplicate link is called in the conflict message.
    pub duplicate: &'static str,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl LinkTable {
    /// Links `owner_id` to `other_id`; both must belong to the organisation.
    pub async fn add(
        &self,
        tx: &mut Tx,
        ctx: &ChangeContext,
        org_id: &str,
        owner_id: &str,
        other_id: &str,
    ) -> Result<()> {
        let found: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM {} WHERE org_id = $1 AND id = $2) + (SELECT COUNT(*) FROM {} WHERE org_id = $1 AND id = $3)",
            self.owner_table, self.other_table
        ))
        .bind(org_id)
        .bind(owner_id)
        .bind(other_id)
        .fetch_one(&mut **tx)
        .await?;
        if found != 2 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(&format!(
            "INSERT INTO {} (org_id, {}, {}) VALUES ($1, $2, $3)",
            self.table, self.owner_col, self.other_col
        ))
        .bind(org_id)
        .bind(owner_id)
        .bind(other_id)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, self.duplicate))?;
        let state = serde_json::json!({ self.owner_col: owner_id, self.other_col: other_id });
        audit::append(tx, org_id, ctx, AuditEvent::new(self.added, self.object_type, owner_id, Some(&state))).await
    }

    pub async fn remove(
        &self,
        tx: &mut Tx,
        ctx: &ChangeContext,
        org_id: &str,
        owner_id: &str,
        other_id: &str,
    ) -> Result<()> {
        let done = sqlx::query(&format!(
            "DELETE FROM {} WHERE org_id = $1 AND {} = $2 AND {} = $3",
            self.table, self.owner_col, self.other_col
        ))
        .bind(org_id)
        .bind(owner_id)
        .bind(other_id)
        .execute(&mut **tx)
        .await?;
        crate::found(done)?;
        let state = serde_json::json!({ self.owner_col: owner_id, format!("removed_{}", self.other_col): other_id });
        audit::append(tx, org_id, ctx, AuditEvent::new(self.removed, self.object_type, owner_id, Some(&state))).await
    }
}

/// Removes every row of `table` whose `column` is `id`, before that object is deleted.
pub(crate) async fn purge(tx: &mut Tx, table: &str, column: &str, org_id: &str, id: &str) -> Result<()> {
    sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1 AND {column} = $2"))
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
