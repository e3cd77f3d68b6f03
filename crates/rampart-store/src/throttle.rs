//! Login throttling by account and by client address, kept in the database so
//! every server sees the same counts.

use rampart_domain::new_id;

use crate::{Result, Store, now_ms};

impl Store {
    pub async fn record_login_failure(&self, subject: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO login_failures (id, subject, at) VALUES ($1, $2, $3)")
            .bind(new_id())
            .bind(subject)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Failures older than a day never matter again.
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(now - 86_400_000).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Failures for `subject` within the last `window_ms`.
    pub async fn recent_login_failures(&self, subject: &str, window_ms: i64) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND at >= $2")
            .bind(subject)
            .bind(now_ms() - window_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn clear_login_failures(&self, subject: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE subject = $1").bind(subject).execute(&self.pool).await?;
        Ok(())
    }
}
