//! Browser sessions, stored server-side so any server behind a load balancer
//! can serve any request.

use rampart_domain::credentials::{random_hex, secret_hash};
use sqlx::Row;
use sqlx::any::AnyRow;

use rampart_domain::{Actor, Role};

use crate::{Result, Store, StoreError, UserRecord, now_ms};

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_ms: i64,
    /// A session ends this long after login, however active.
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_ms: 60 * 60 * 1000, absolute_ms: 12 * 60 * 60 * 1000 }
    }
}

/// Activity is recorded at most this often, so reads do not all become writes.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A live session with who it belongs to and where they are working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub session: Session,
    pub user: UserRecord,
    /// The user in the session's organisation; `None` when the session has no
    /// organisation or the membership has ended.
    pub actor: Option<Actor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the session id; the id itself lives only in the cookie.
    pub id_hash: String,
    pub user_id: String,
    /// The organisation the user is working in, if any.
    pub org_id: Option<String>,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

fn session_from_row(r: &AnyRow) -> Result<Session> {
    Ok(Session {
        id_hash: r.try_get("id_hash")?,
        user_id: r.try_get("user_id")?,
        org_id: r.try_get("org_id")?,
        csrf_token: r.try_get("csrf_token")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

impl Store {
    /// Starts a session; returns the secret id for the cookie and the session.
    pub async fn create_session(
        &self,
        user_id: &str,
        org_id: Option<&str>,
        policy: SessionPolicy,
    ) -> Result<(String, Session)> {
        let id = random_hex(32);
        let now = now_ms();
        let session = Session {
            id_hash: secret_hash(&id),
            user_id: user_id.to_string(),
            org_id: org_id.map(str::to_string),
            csrf_token: random_hex(32),
            created_at: now,
            last_seen_at: now,
            expires_at: now + policy.absolute_ms,
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, org_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&session.id_hash)
        .bind(&session.user_id)
        .bind(session.org_id.as_deref())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        // Opportunistic clean-up of sessions that can never be used again.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
            .bind(now)
            .bind(now - policy.idle_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((id, session))
    }

    /// The live session behind a cookie's secret id, or `NotFound` when it is
    /// unknown, idle too long or past its absolute lifetime.
    pub async fn find_session(&self, id: &str, policy: SessionPolicy) -> Result<Session> {
        Ok(self.live_session(id, policy).await?.session)
    }

    /// The live session with its user and, when the session is in an
    /// organisation the user still belongs to, the actor there: one query for
    /// what every browser request needs.
    pub async fn live_session(&self, id: &str, policy: SessionPolicy) -> Result<LiveSession> {
        let id_hash = secret_hash(id);
        let row = sqlx::query(
            "SELECT s.*, u.email, u.password_hash, u.superadmin, m.role, o.name AS org_name FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id \
             LEFT JOIN organisations o ON o.id = m.org_id \
             WHERE s.id_hash = $1",
        )
        .bind(&id_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut session = session_from_row(&row)?;
        let now = now_ms();
        if now >= session.expires_at || now - session.last_seen_at >= policy.idle_ms {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&id_hash).execute(&self.pool).await?;
            return Err(StoreError::NotFound);
        }
        if now - session.last_seen_at >= TOUCH_EVERY_MS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(&id_hash)
                .execute(&self.pool)
                .await?;
            session.last_seen_at = now;
        }
        let user = UserRecord {
            id: session.user_id.clone(),
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            superadmin: row.try_get::<i64, _>("superadmin")? != 0,
        };
        let role: Option<String> = row.try_get("role")?;
        let actor = match (role, &session.org_id) {
            (Some(role), Some(org_id)) => Some(Actor {
                user_id: user.id.clone(),
                email: user.email.clone(),
                org_id: org_id.clone(),
                org_name: row.try_get("org_name")?,
                role: Role::parse(&role)?,
                superadmin: user.superadmin,
            }),
            _ => None,
        };
        Ok(LiveSession { session, user, actor })
    }

    /// Moves a session to another organisation the user belongs to.
    pub async fn switch_session_org(&self, session: &Session, org_id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let member: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(&session.user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if member.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE sessions SET org_id = $1 WHERE id_hash = $2")
            .bind(org_id)
            .bind(&session.id_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Ends every session of a user ("log out everywhere"); returns how many.
    pub async fn delete_user_sessions(&self, user_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
