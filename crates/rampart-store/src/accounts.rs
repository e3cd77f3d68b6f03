//! Organisations, users and memberships.

use rampart_domain::audit::{AuditEvent, INSTANCE_CHAIN};
use rampart_domain::{Actor, OrgKind, Page, PageRequest, Role, new_id};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: i64,
}

/// A user as stored; the password hash never leaves the store except to be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub superadmin: bool,
}

/// A user's membership of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub joined_at: i64,
}

fn org_from_row(r: &AnyRow) -> Result<Organisation> {
    Ok(Organisation {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: OrgKind::parse(&r.try_get::<String, _>("kind")?)?,
        created_at: r.try_get("created_at")?,
    })
}

fn user_from_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        superadmin: r.try_get::<i64, _>("superadmin")? != 0,
    })
}

fn member_from_row(r: &AnyRow) -> Result<Member> {
    Ok(Member {
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        joined_at: r.try_get("created_at")?,
    })
}

fn member_state(m: &Member) -> serde_json::Value {
    json!({"user_id": m.user_id, "email": m.email, "role": m.role})
}

impl Store {
    /// Creates an organisation, with `first_admin` (a user id) as its admin when
    /// given, in one transaction; its audit chain starts here.
    pub async fn create_org(
        &self,
        ctx: &ChangeContext,
        name: &str,
        kind: OrgKind,
        first_admin: Option<&str>,
    ) -> Result<Organisation> {
        let name = rampart_domain::validate::name("name", name)?;
        let org = Organisation { id: new_id(), name, kind, created_at: now_ms() };
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(org.kind.as_str())
            .bind(org.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "an organisation with this name already exists"))?;
        let state = json!({"name": org.name, "kind": org.kind});
        audit::append(
            &mut tx,
            &org.id,
            ctx,
            AuditEvent::new("organisation.create", "organisation", &org.id, Some(&state)),
        )
        .await?;
        if let Some(user_id) = first_admin {
            let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let member = Member {
                user_id: user_id.to_string(),
                email: email.ok_or(StoreError::NotFound)?,
                role: Role::Admin,
                joined_at: org.created_at,
            };
            sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&org.id)
                .bind(user_id)
                .bind(Role::Admin.as_str())
                .bind(org.created_at)
                .execute(&mut *tx)
                .await?;
            audit::append(
                &mut tx,
                &org.id,
                ctx,
                AuditEvent::new("member.create", "member", user_id, Some(&member_state(&member))),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(org)
    }

    /// All organisations by name (for the instance superadmin).
    pub async fn list_orgs(&self, page: &PageRequest) -> Result<Page<Organisation>> {
        let rows = sqlx::query("SELECT * FROM organisations WHERE name > $1 ORDER BY name LIMIT $2")
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let orgs = rows.iter().map(org_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(orgs, page.limit, |o| o.name.clone()))
    }

    pub async fn org_by_name(&self, name: &str) -> Result<Organisation> {
        let row = sqlx::query("SELECT * FROM organisations WHERE name = $1")
            .bind(name.trim())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisation an assessment belongs to, for operators on the
    /// server's host (`rampart assessment show ID`); never for requests.
    pub async fn organisation_of_assessment(&self, assessment_id: &str) -> Result<Organisation> {
        let row = sqlx::query("SELECT o.* FROM organisations o JOIN assessments a ON a.org_id = o.id WHERE a.id = $1")
            .bind(assessment_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisation an incident belongs to, for operators on the server's
    /// host (`rampart incident show ID`); never for requests.
    pub async fn organisation_of_incident(&self, incident_id: &str) -> Result<Organisation> {
        let row = sqlx::query("SELECT o.* FROM organisations o JOIN incidents i ON i.org_id = o.id WHERE i.id = $1")
            .bind(incident_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The organisations a user belongs to, with the role in each, by name.
    pub async fn orgs_of_user(&self, user_id: &str) -> Result<Vec<(Organisation, Role)>> {
        let rows = sqlx::query(
            "SELECT o.*, m.role FROM organisations o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((org_from_row(r)?, Role::parse(&r.try_get::<String, _>("role")?)?))).collect()
    }

    pub async fn user_by_email(&self, email: &str) -> Result<UserRecord> {
        let row = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    pub async fn user_by_id(&self, user_id: &str) -> Result<UserRecord> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The actor `user_id` is inside `org_id`, if they are a member.
    pub async fn actor(&self, user_id: &str, org_id: &str) -> Result<Actor> {
        let row = sqlx::query(
            "SELECT u.email, u.superadmin, m.role, o.name FROM memberships m \
             JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = m.org_id \
             WHERE m.user_id = $1 AND m.org_id = $2",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Actor {
            user_id: user_id.to_string(),
            email: row.try_get("email")?,
            org_id: org_id.to_string(),
            org_name: row.try_get("name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            superadmin: row.try_get::<i64, _>("superadmin")? != 0,
        })
    }

    /// Creates the instance superadmin when the database has no user at all.
    /// Returns false (and changes nothing) when users exist.
    pub async fn create_first_superadmin(&self, email: &str, password_hash: &str) -> Result<bool> {
        let email = rampart_domain::validate::email(email)?;
        let mut tx = self.write_tx().await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
        if users > 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let id = new_id();
        let now = now_ms();
        sqlx::query("INSERT INTO users (id, email, password_hash, superadmin, created_at, password_changed_at) VALUES ($1, $2, $3, 1, $4, $4)")
            .bind(&id)
            .bind(&email)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let ctx = ChangeContext::new("system", new_id());
        let state = json!({"email": email, "superadmin": true});
        audit::append(&mut tx, INSTANCE_CHAIN, &ctx, AuditEvent::new("user.create", "user", &id, Some(&state))).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds `email` to the organisation with `role`. A new account needs
    /// `password_hash`; an existing account keeps its password.
    pub async fn add_member(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        email: &str,
        role: Role,
        password_hash: Option<&str>,
    ) -> Result<Member> {
        let email = rampart_domain::validate::email(email)?;
        let mut tx = self.write_tx().await?;
        let org_exists: Option<String> = sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        if org_exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&email).fetch_optional(&mut *tx).await?;
        let now = now_ms();
        let user_id = match existing {
            Some(id) => id,
            None => {
                let Some(hash) = password_hash else {
                    return Err(rampart_domain::Invalid::new("password", "is required for a new account").into());
                };
                let id = new_id();
                sqlx::query("INSERT INTO users (id, email, password_hash, superadmin, created_at, password_changed_at) VALUES ($1, $2, $3, 0, $4, $4)")
                    .bind(&id)
                    .bind(&email)
                    .bind(hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                id
            }
        };
        sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(&user_id)
            .bind(role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "this person is already a member of the organisation"))?;
        let member = Member { user_id, email, role, joined_at: now };
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("member.create", "member", &member.user_id, Some(&member_state(&member))),
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The organisation's members by e-mail.
    pub async fn list_members(&self, org_id: &str, page: &PageRequest) -> Result<Page<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND u.email > $2 ORDER BY u.email LIMIT $3",
        )
        .bind(org_id)
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let members = rows.iter().map(member_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(members, page.limit, |m| m.email.clone()))
    }

    pub async fn member(&self, org_id: &str, user_id: &str) -> Result<Member> {
        let row = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND m.user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(member_from_row).transpose()?.ok_or(StoreError::NotFound)
    }

    /// Changes a member's role. The last admin cannot be demoted.
    pub async fn change_role(&self, ctx: &ChangeContext, org_id: &str, user_id: &str, role: Role) -> Result<Member> {
        let mut tx = self.write_tx().await?;
        let current = current_role(&mut tx, org_id, user_id).await?;
        if current == Role::Admin && role != Role::Admin {
            ensure_another_admin(&mut tx, org_id, user_id).await?;
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let member = member_from_row(&row)?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("member.update", "member", user_id, Some(&member_state(&member))),
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Removes a member: their API tokens for this organisation are revoked and
    /// their sessions leave it. The last admin cannot be removed.
    pub async fn remove_member(&self, ctx: &ChangeContext, org_id: &str, user_id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        if current_role(&mut tx, org_id, user_id).await? == Role::Admin {
            ensure_another_admin(&mut tx, org_id, user_id).await?;
        }
        let now = now_ms();
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET org_id = NULL WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("member.delete", "member", user_id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a user's password hash and ends every other session of theirs.
    pub async fn set_password(
        &self,
        ctx: &ChangeContext,
        user_id: &str,
        password_hash: &str,
        keep_session_hash: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session_hash.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        audit::append(&mut tx, INSTANCE_CHAIN, ctx, AuditEvent::new("user.password", "user", user_id, None)).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn current_role(tx: &mut sqlx::Transaction<'static, sqlx::Any>, org_id: &str, user_id: &str) -> Result<Role> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(Role::parse(&role.ok_or(StoreError::NotFound)?)?)
}

async fn ensure_another_admin(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    org_id: &str,
    user_id: &str,
) -> Result<()> {
    let others: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin' AND user_id <> $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    if others == 0 {
        return Err(StoreError::Conflict(
            "an organisation needs at least one admin: make someone else admin first".into(),
        ));
    }
    Ok(())
}
