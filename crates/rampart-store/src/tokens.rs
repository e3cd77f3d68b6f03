//! API tokens: bearer credentials bound to one user in one organisation.

use rampart_domain::audit::AuditEvent;
use rampart_domain::credentials::{new_api_token, secret_hash};
use rampart_domain::{Actor, Page, PageRequest, Role, new_id};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// Last-used times are recorded at most this often.
const MARK_USED_EVERY_MS: i64 = 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub display_prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl ApiToken {
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, u.email, t.name, t.display_prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn token_from_row(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        user_email: r.try_get("email")?,
        name: r.try_get("name")?,
        display_prefix: r.try_get("display_prefix")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

impl Store {
    /// Creates a token for a member; returns it and the plaintext, which is
    /// never stored and cannot be shown again.
    pub async fn create_token(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        user_id: &str,
        name: &str,
        expires_at: Option<i64>,
    ) -> Result<(ApiToken, String)> {
        let name = rampart_domain::validate::label("name", name)?;
        let secret = new_api_token();
        let id = new_id();
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let email: Option<String> = sqlx::query_scalar(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let email = email.ok_or(StoreError::NotFound)?;
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, display_prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(user_id)
        .bind(&name)
        .bind(&secret.hash)
        .bind(&secret.display_prefix)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let token = ApiToken {
            id,
            user_id: user_id.to_string(),
            user_email: email,
            name,
            display_prefix: secret.display_prefix,
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        let state = json!({"name": token.name, "user_id": token.user_id, "expires_at": token.expires_at});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("token.create", "api_token", &token.id, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok((token, secret.plaintext))
    }

    /// The organisation's tokens, newest first; only `user_id`'s when given.
    pub async fn list_tokens(&self, org_id: &str, user_id: Option<&str>, page: &PageRequest) -> Result<Page<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.org_id = $1 AND ($2 IS NULL OR t.user_id = $2) AND t.id < $3 ORDER BY t.id DESC LIMIT $4"
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(page.after.as_deref().unwrap_or("~"))
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let tokens = rows.iter().map(token_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(tokens, page.limit, |t| t.id.clone()))
    }

    /// Revokes a token of the organisation; with `owner`, only if it is theirs.
    pub async fn revoke_token(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        token_id: &str,
        owner: Option<&str>,
    ) -> Result<ApiToken> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND ($4 IS NULL OR user_id = $4) AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(token_id)
            .bind(org_id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1 AND t.org_id = $2 AND ($3 IS NULL OR t.user_id = $3)"
        ))
        .bind(token_id)
        .bind(org_id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        let token = row.as_ref().map(token_from_row).transpose()?.ok_or(StoreError::NotFound)?;
        if done.rows_affected() > 0 {
            audit::append(
                &mut tx,
                org_id,
                ctx,
                AuditEvent::new("token.revoke", "api_token", token_id, Some(&json!({"revoked_at": token.revoked_at}))),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(token)
    }

    /// The actor behind a bearer token, if the token is live and its user is
    /// still a member of its organisation.
    pub async fn authenticate_token(&self, plaintext: &str) -> Result<Actor> {
        let row = sqlx::query(
            "SELECT t.id, t.org_id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, u.email, u.superadmin, m.role, \
             o.name AS org_name FROM api_tokens t \
             JOIN users u ON u.id = t.user_id \
             JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id \
             JOIN organisations o ON o.id = t.org_id \
             WHERE t.token_hash = $1",
        )
        .bind(secret_hash(plaintext))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let now = now_ms();
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        let expires: Option<i64> = row.try_get("expires_at")?;
        if revoked.is_some() || expires.is_some_and(|e| e <= now) {
            return Err(StoreError::NotFound);
        }
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|t| now - t >= MARK_USED_EVERY_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(row.try_get::<String, _>("id")?)
                .execute(&self.pool)
                .await?;
        }
        Ok(Actor {
            user_id: row.try_get("user_id")?,
            email: row.try_get("email")?,
            org_id: row.try_get("org_id")?,
            org_name: row.try_get("org_name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            superadmin: row.try_get::<i64, _>("superadmin")? != 0,
        })
    }
}
