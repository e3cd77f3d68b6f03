//! Throttling counts kept in the database so every server sees the same:
//! failed logins by account and by client address, public incident reports by
//! address and by page. Subjects carry their kind as a prefix (`account:`,
//! `address:`, `report:`); the table keeps its first name, `login_failures`.

use rampart_domain::new_id;

use crate::{Result, Store, now_ms};

impl Store {
    /// Counts one attempt (a failed login, a public report) for `subject`.
    pub async fn record_attempt(&self, subject: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO login_failures (id, subject, at) VALUES ($1, $2, $3)")
            .bind(new_id())
            .bind(subject)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Attempts older than a day never matter again.
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(now - 86_400_000).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Attempts for `subject` within the last `window_ms`.
    pub async fn recent_attempts(&self, subject: &str, window_ms: i64) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND at >= $2")
            .bind(subject)
            .bind(now_ms() - window_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn clear_attempts(&self, subject: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE subject = $1").bind(subject).execute(&self.pool).await?;
        Ok(())
    }
}
