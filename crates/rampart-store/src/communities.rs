//! Communities (sharing groups) of organisations and the items shared in
//! them. Who may see an item is decided inside the query that reads it, by
//! the rule of docs/SHARING.md (`rampart_domain::sharing::may_see` states
//! the same rule in Rust; a test holds the two together): an organisation
//! never receives a row it may not see.

use rampart_domain::audit::AuditEvent;
use rampart_domain::incident::Marking;
use rampart_domain::sharing::{Distribution, MemberRole, check_recipients, reach};
use rampart_domain::{Invalid, new_id};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Community {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_by_org: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommunityMember {
    pub org_id: String,
    pub org_name: String,
    pub role: MemberRole,
    /// `invited` until the organisation accepts, then `active`.
    pub state: String,
}

impl CommunityMember {
    /// An active owner or contributor: it may share, and keep collections, there.
    pub fn may_share(&self) -> bool {
        self.state == "active" && self.role != MemberRole::Reader
    }
}

/// An item as its owner shares it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSharedItem {
    pub community_id: String,
    /// `indicator`, `advisory`, `incident-summary`, `sighting`, `report`, …
    pub kind: String,
    pub title: String,
    pub body: Value,
    pub marking: Marking,
    pub distribution: Distribution,
    /// For TLP:RED: the member organisations it is for.
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedItem {
    pub id: String,
    pub owner_org: String,
    pub owner_name: String,
    pub community_name: String,
    pub community_id: String,
    pub kind: String,
    pub title: String,
    pub body: Value,
    pub marking: Marking,
    pub distribution: Distribution,
    /// The distribution narrowed by the marking: how far it actually goes.
    pub reach: Distribution,
    pub created_by: String,
    pub created_at: i64,
}

/// Shared items with their owner's and community's names.
const ITEMS: &str = "SELECT i.*, o.name AS owner_name, c.name AS community_name FROM shared_items i \
     JOIN organisations o ON o.id = i.owner_org JOIN communities c ON c.id = i.community_id";

fn community_from(r: &AnyRow) -> Result<Community> {
    Ok(Community {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        created_by_org: r.try_get("created_by_org")?,
        created_at: r.try_get("created_at")?,
    })
}

fn item_from(r: &AnyRow) -> Result<SharedItem> {
    Ok(SharedItem {
        id: r.try_get("id")?,
        owner_org: r.try_get("owner_org")?,
        owner_name: r.try_get("owner_name")?,
        community_name: r.try_get("community_name")?,
        community_id: r.try_get("community_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body: serde_json::from_str(&r.try_get::<String, _>("body")?).unwrap_or(Value::Null),
        marking: Marking::parse(&r.try_get::<String, _>("tlp")?)?,
        distribution: Distribution::parse(&r.try_get::<String, _>("distribution")?)?,
        reach: Distribution::parse(&r.try_get::<String, _>("reach")?)?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// `org` (an SQL expression) is an active member of the audience of the
/// item aliased `item`. Kept as one fragment so every query that reads items
/// applies the same rule.
fn in_audience(org: &str, item: &str) -> String {
    format!(
        "({item}.reach = 'all' \
          OR ({item}.reach IN ('community', 'connected') AND EXISTS (SELECT 1 FROM community_members m \
              WHERE m.community_id = {item}.community_id AND m.org_id = {org} AND m.state = 'active')) \
          OR ({item}.reach = 'connected' AND EXISTS (SELECT 1 FROM community_connections c JOIN community_members m \
              ON m.community_id = CASE WHEN c.community_id = {item}.community_id THEN c.connected_id ELSE c.community_id END \
              WHERE (c.community_id = {item}.community_id OR c.connected_id = {item}.community_id) AND m.org_id = {org} AND m.state = 'active')))"
    )
}

/// The visibility rule of docs/SHARING.md: the organisation `org` (an SQL
/// expression) may see the item aliased `item`.
pub(crate) fn visible_to(org: &str, item: &str) -> String {
    format!(
        "({item}.owner_org = {org} OR \
          ({item}.tlp = 'red' AND EXISTS (SELECT 1 FROM shared_item_recipients r WHERE r.item_id = {item}.id AND r.org_id = {org}) AND {viewer}) \
          OR ({item}.tlp IN ('clear', 'green', 'amber+strict') AND {viewer}) \
          OR ({item}.tlp = 'amber' AND ({viewer} OR EXISTS (SELECT 1 FROM org_clients k WHERE k.client_org_id = {org} AND {provider}))))",
        viewer = in_audience(org, item),
        provider = in_audience("k.org_id", item),
    )
}

/// The rule for the viewer bound as `$1` and the item aliased `i`.
pub(crate) fn visible_to_viewer() -> String {
    visible_to("$1", "i")
}

pub(crate) async fn role_in(tx: &mut Tx, community_id: &str, org_id: &str) -> Result<Option<MemberRole>> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM community_members WHERE community_id = $1 AND org_id = $2 AND state = 'active'",
    )
    .bind(community_id)
    .bind(org_id)
    .fetch_optional(&mut **tx)
    .await?;
    role.map(|r| MemberRole::parse(&r)).transpose().map_err(Into::into)
}

/// An organisation of this instance; a refusal naming `field` otherwise.
async fn check_org(tx: &mut Tx, field: &str, org_id: &str) -> Result<()> {
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    if known == 0 {
        return Err(Invalid::new(field, "is not an organisation of this instance").into());
    }
    Ok(())
}

async fn require_owner(tx: &mut Tx, community_id: &str, org_id: &str) -> Result<()> {
    match role_in(tx, community_id, org_id).await? {
        Some(MemberRole::Owner) => Ok(()),
        Some(_) => Err(StoreError::Conflict("only an owner of the community may do this".into())),
        None => Err(StoreError::NotFound),
    }
}

impl Store {
    /// Creates a community with the creating organisation as its owner.
    pub async fn create_community(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        name: &str,
        description: &str,
    ) -> Result<Community> {
        let name = rampart_domain::validate::name("name", name)?;
        let description = rampart_domain::validate::optional_text("description", description, 4000)?;
        let (id, now) = (new_id(), now_ms());
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO communities (id, name, description, created_by_org, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&name)
        .bind(&description)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, "a community with this name already exists"))?;
        sqlx::query(
            "INSERT INTO community_members (community_id, org_id, role, state, invited_at, joined_at) VALUES ($1, $2, 'owner', 'active', $3, $3)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("community.create", "community", &id, Some(&json!({"name": name}))),
        )
        .await?;
        let row = sqlx::query("SELECT * FROM communities WHERE id = $1").bind(&id).fetch_one(&mut *tx).await?;
        let community = community_from(&row)?;
        tx.commit().await?;
        Ok(community)
    }

    pub async fn community_by_name(&self, name: &str) -> Result<Community> {
        let row =
            sqlx::query("SELECT * FROM communities WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(community_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The communities an organisation is in (active or invited).
    pub async fn communities_of(&self, org_id: &str) -> Result<Vec<(Community, CommunityMember)>> {
        let rows = sqlx::query(
            "SELECT c.*, m.role, m.state, o.name AS org_name FROM communities c JOIN community_members m ON m.community_id = c.id \
             JOIN organisations o ON o.id = m.org_id WHERE m.org_id = $1 ORDER BY c.name",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let member = CommunityMember {
                    org_id: org_id.to_string(),
                    org_name: r.try_get("org_name")?,
                    role: MemberRole::parse(&r.try_get::<String, _>("role")?)?,
                    state: r.try_get("state")?,
                };
                Ok((community_from(r)?, member))
            })
            .collect()
    }

    /// Adds an organisation to a community: `invited` when an owner of the
    /// community invites it (`by` is the owner's organisation), `active` at
    /// once when the instance's operator adds it (`by` is `None`).
    pub async fn add_community_member(
        &self,
        ctx: &ChangeContext,
        by: Option<&str>,
        community_id: &str,
        org_id: &str,
        role: MemberRole,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        if let Some(owner) = by {
            require_owner(&mut tx, community_id, owner).await?;
        }
        check_org(&mut tx, "org", org_id).await?;
        let (state, joined) = if by.is_some() { ("invited", None) } else { ("active", Some(now_ms())) };
        sqlx::query(
            "INSERT INTO community_members (community_id, org_id, role, state, invited_at, joined_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(community_id)
        .bind(org_id)
        .bind(role.as_str())
        .bind(state)
        .bind(now_ms())
        .bind(joined)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, "the organisation is already in the community"))?;
        let chain = by.unwrap_or(org_id);
        let state_json = json!({"org": org_id, "role": role, "state": state});
        audit::append(
            &mut tx,
            chain,
            ctx,
            AuditEvent::new("community.member.add", "community", community_id, Some(&state_json)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An invited organisation accepts: it becomes an active member.
    pub async fn accept_community_invitation(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        community_id: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE community_members SET state = 'active', joined_at = $1 WHERE community_id = $2 AND org_id = $3 AND state = 'invited'",
        )
        .bind(now_ms())
        .bind(community_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        crate::found(done)?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("community.member.accept", "community", community_id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Connects two communities an organisation owns both of: items shared
    /// `connected` in one reach the members of the other.
    pub async fn connect_communities(&self, ctx: &ChangeContext, org_id: &str, a: &str, b: &str) -> Result<()> {
        if a == b {
            return Err(Invalid::new("connected_id", "a community is not connected to itself").into());
        }
        let mut tx = self.write_tx().await?;
        require_owner(&mut tx, a, org_id).await?;
        require_owner(&mut tx, b, org_id).await?;
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        sqlx::query("INSERT INTO community_connections (community_id, connected_id) VALUES ($1, $2)")
            .bind(low)
            .bind(high)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "the communities are already connected"))?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("community.connect", "community", a, Some(&json!({"connected": b}))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The communities connected to `community`, by name (for its members).
    pub async fn connected_communities(&self, org_id: &str, community: &str) -> Result<Vec<(String, String)>> {
        let mut tx = self.write_tx().await?;
        let member = role_in(&mut tx, community, org_id).await?;
        tx.rollback().await?;
        if member.is_none() {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query(
            "SELECT c.id, c.name FROM community_connections k JOIN communities c \
             ON c.id = CASE WHEN k.community_id = $1 THEN k.connected_id ELSE k.community_id END \
             WHERE k.community_id = $1 OR k.connected_id = $1 ORDER BY c.name",
        )
        .bind(community)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
    }

    /// Records `client` as a client of `org_id`: TLP:AMBER items `org_id` receives reach it too.
    pub async fn record_client(&self, ctx: &ChangeContext, org_id: &str, client: &str) -> Result<()> {
        if org_id == client {
            return Err(Invalid::new("client", "an organisation is not its own client").into());
        }
        let mut tx = self.write_tx().await?;
        check_org(&mut tx, "client", client).await?;
        sqlx::query("INSERT INTO org_clients (org_id, client_org_id) VALUES ($1, $2)")
            .bind(org_id)
            .bind(client)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "already recorded as a client"))?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("organisation.client.add", "organisation", client, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Shares an item in a community the organisation contributes to.
    pub async fn share_item(&self, ctx: &ChangeContext, org_id: &str, new: NewSharedItem) -> Result<SharedItem> {
        self.share_item_with_files(ctx, org_id, new, &[]).await
    }

    /// Shares an item inside the caller's transaction.
    pub(crate) async fn share_item_in(
        &self,
        tx: &mut Tx,
        ctx: &ChangeContext,
        org_id: &str,
        new: NewSharedItem,
    ) -> Result<SharedItem> {
        let title = rampart_domain::validate::name("title", &new.title)?;
        check_recipients(new.marking, &new.recipients)?;
        let kind = rampart_domain::validate::label("kind", &new.kind)?;
        let body = new.body.to_string();
        if body.len() > 1024 * 1024 {
            return Err(Invalid::new("body", "must be at most 1 MiB").into());
        }
        let pattern = if kind == "indicator" { Some(crate::sightings::indicator_pattern(&new.body)?) } else { None };
        match role_in(tx, &new.community_id, org_id).await? {
            Some(MemberRole::Owner | MemberRole::Contributor) => {}
            Some(MemberRole::Reader) => {
                return Err(StoreError::Conflict("readers of a community do not share in it".into()));
            }
            None => return Err(StoreError::NotFound),
        }
        for (i, r) in new.recipients.iter().enumerate() {
            if role_in(tx, &new.community_id, r).await?.is_none() {
                return Err(Invalid::new(format!("recipients[{i}]"), "is not an active member of the community").into());
            }
        }
        let id = new_id();
        let reached = reach(new.marking, new.distribution);
        sqlx::query(
            "INSERT INTO shared_items (id, owner_org, community_id, kind, title, body, tlp, distribution, reach, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&new.community_id)
        .bind(&kind)
        .bind(&title)
        .bind(&body)
        .bind(new.marking.as_str())
        .bind(new.distribution.as_str())
        .bind(reached.as_str())
        .bind(&ctx.actor)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        for r in &new.recipients {
            sqlx::query("INSERT INTO shared_item_recipients (item_id, org_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(r)
                .execute(&mut **tx)
                .await?;
        }
        if let Some(pattern) = &pattern {
            crate::sightings::record_indicator(tx, &id, pattern).await?;
        }
        let state =
            json!({"community": new.community_id, "kind": kind, "tlp": new.marking, "distribution": new.distribution});
        audit::append(tx, org_id, ctx, AuditEvent::new("share", "shared_item", &id, Some(&state))).await?;
        let row = sqlx::query(&format!("{ITEMS} WHERE i.id = $1")).bind(&id).fetch_one(&mut **tx).await?;
        let item = item_from(&row)?;
        Ok(item)
    }

    /// The items `viewer` may see, newest first (at most `limit`).
    pub async fn visible_items(&self, viewer: &str, limit: i64) -> Result<Vec<SharedItem>> {
        let rows = sqlx::query(&format!(
            "{ITEMS} WHERE {} ORDER BY i.created_at DESC, i.id DESC LIMIT $2",
            visible_to_viewer()
        ))
        .bind(viewer)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from).collect()
    }

    /// The items for the public feed: marked TLP:CLEAR and sent to `all` by
    /// their owners, newest first (at most `limit`). Nothing else is public.
    pub async fn public_items(&self, limit: i64) -> Result<Vec<SharedItem>> {
        let rows = sqlx::query(&format!(
            "{ITEMS} WHERE i.tlp = 'clear' AND i.reach = 'all' ORDER BY i.created_at DESC, i.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(item_from).collect()
    }

    /// One item, if `viewer` may see it; otherwise it does not exist for them.
    pub async fn shared_item(&self, viewer: &str, id: &str) -> Result<SharedItem> {
        let row = sqlx::query(&format!("{ITEMS} WHERE {} AND i.id = $2", visible_to_viewer()))
            .bind(viewer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(item_from).transpose()?.ok_or(StoreError::NotFound)
    }

    /// The members of a community, for an organisation that is in it (invited or active).
    pub async fn community_members(&self, viewer: &str, community_id: &str) -> Result<Vec<CommunityMember>> {
        let rows = sqlx::query(
            "SELECT m.*, o.name AS org_name FROM community_members m JOIN organisations o ON o.id = m.org_id \
             WHERE m.community_id = $1 AND EXISTS (SELECT 1 FROM community_members v WHERE v.community_id = $1 AND v.org_id = $2) \
             ORDER BY o.name",
        )
        .bind(community_id)
        .bind(viewer)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        rows.iter()
            .map(|r| {
                Ok(CommunityMember {
                    org_id: r.try_get("org_id")?,
                    org_name: r.try_get("org_name")?,
                    role: MemberRole::parse(&r.try_get::<String, _>("role")?)?,
                    state: r.try_get("state")?,
                })
            })
            .collect()
    }

    /// A member acknowledges an item shared with it (once; again changes nothing).
    pub async fn acknowledge_item(&self, ctx: &ChangeContext, viewer: &str, id: &str) -> Result<()> {
        let item = self.shared_item(viewer, id).await?;
        if item.owner_org == viewer {
            return Err(StoreError::Conflict("the owner of an item does not acknowledge it".into()));
        }
        let mut tx = self.write_tx().await?;
        let fresh = sqlx::query(
            "INSERT INTO shared_item_acks (item_id, org_id, acknowledged_by, acknowledged_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(viewer)
        .bind(&ctx.actor)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if fresh.rows_affected() == 1 {
            audit::append(&mut tx, viewer, ctx, AuditEvent::new("share.acknowledge", "shared_item", id, None)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The acknowledgements of an item: all of them for its owner, the
    /// viewer's own for anyone else who may see it. (organisation, by whom, when)
    pub async fn acknowledgements(&self, viewer: &str, id: &str) -> Result<Vec<(String, String, i64)>> {
        let item = self.shared_item(viewer, id).await?;
        let rows = sqlx::query(
            "SELECT o.name, a.acknowledged_by, a.acknowledged_at FROM shared_item_acks a JOIN organisations o ON o.id = a.org_id \
             WHERE a.item_id = $1 AND ($2 = 1 OR a.org_id = $3) ORDER BY a.acknowledged_at",
        )
        .bind(id)
        .bind(i64::from(item.owner_org == viewer))
        .bind(viewer)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("acknowledged_by")?, r.try_get("acknowledged_at")?)))
            .collect()
    }
}
