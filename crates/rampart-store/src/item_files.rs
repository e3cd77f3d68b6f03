//! Files attached to shared items: added by the item's owner, read by
//! whoever may see the item (the visibility rule decides, in the query).
//! The bodies live in the server's files directory under their SHA-256;
//! this keeps which item holds which body, under which name.

use rampart_domain::audit::AuditEvent;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::communities::visible_to_viewer;
use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

/// Most files one item holds.
pub const MAX_FILES_PER_ITEM: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFile {
    pub id: String,
    pub item_id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_by: String,
    pub added_at: i64,
}

fn file_from(r: &AnyRow) -> Result<ItemFile> {
    Ok(ItemFile {
        id: r.try_get("id")?,
        item_id: r.try_get("item_id")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
    })
}

/// A body already kept in the files directory, to attach under `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

/// The refusal of a file beyond [`MAX_FILES_PER_ITEM`].
fn too_many_files() -> StoreError {
    rampart_domain::Invalid::new("file", format!("an item holds at most {MAX_FILES_PER_ITEM} files")).into()
}

impl Store {
    /// Shares an item in a community the organisation contributes to, with
    /// `files` (bodies already kept) attached, in one transaction.
    pub async fn share_item_with_files(
        &self,
        ctx: &ChangeContext,
        org: &str,
        new: crate::NewSharedItem,
        files: &[StoredFile],
    ) -> Result<crate::SharedItem> {
        if new.kind.trim() == crate::SUMMARY_KIND {
            // A summary is shared from its incident, which checks what goes.
            return Err(rampart_domain::Invalid::new(
                "kind",
                "share an incident summary from its incident (its page, or POST /api/v1/incidents/{id}/summaries)",
            )
            .into());
        }
        if files.len() as i64 > MAX_FILES_PER_ITEM {
            return Err(too_many_files());
        }
        let mut tx = self.write_tx().await?;
        let item = self.share_item_in(&mut tx, ctx, org, new).await?;
        for file in files {
            attach(&mut tx, ctx, org, &item.id, file).await?;
        }
        tx.commit().await?;
        Ok(item)
    }

    /// Attaches a stored body to an item of `org`'s own.
    pub async fn add_item_file(
        &self,
        ctx: &ChangeContext,
        org: &str,
        item_id: &str,
        file: &StoredFile,
    ) -> Result<ItemFile> {
        let mut tx = self.write_tx().await?;
        let owned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shared_items WHERE id = $1 AND owner_org = $2")
            .bind(item_id)
            .bind(org)
            .fetch_one(&mut *tx)
            .await?;
        if owned == 0 {
            return Err(StoreError::NotFound);
        }
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shared_item_files WHERE item_id = $1")
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
        if held >= MAX_FILES_PER_ITEM {
            return Err(too_many_files());
        }
        let added = attach(&mut tx, ctx, org, item_id, file).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The files of an item `viewer` may see, oldest first.
    pub async fn item_files(&self, viewer: &str, item_id: &str) -> Result<Vec<ItemFile>> {
        let rows = sqlx::query(&format!(
            "SELECT f.* FROM shared_item_files f JOIN shared_items i ON i.id = f.item_id \
             WHERE f.item_id = $2 AND {} ORDER BY f.added_at, f.id",
            visible_to_viewer()
        ))
        .bind(viewer)
        .bind(item_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(file_from).collect()
    }

    /// One file, if `viewer` may see its item; otherwise it does not exist for them.
    pub async fn item_file(&self, viewer: &str, id: &str) -> Result<ItemFile> {
        let row = sqlx::query(&format!(
            "SELECT f.* FROM shared_item_files f JOIN shared_items i ON i.id = f.item_id WHERE f.id = $2 AND {}",
            visible_to_viewer()
        ))
        .bind(viewer)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(file_from).transpose()?.ok_or(StoreError::NotFound)
    }
}

/// Records `file` on the item, checked, with its audit record.
async fn attach(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ctx: &ChangeContext,
    org: &str,
    item_id: &str,
    file: &StoredFile,
) -> Result<ItemFile> {
    let name = rampart_domain::validate::file_name("file", &file.name, 200)?;
    let sha256 = rampart_domain::validate::sha256("sha256", &file.sha256)?;
    let content_type = rampart_domain::validate::content_type(&file.content_type);
    let id = rampart_domain::new_id();
    sqlx::query(
        "INSERT INTO shared_item_files (id, item_id, name, content_type, size, sha256, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(item_id)
    .bind(&name)
    .bind(&content_type)
    .bind(file.size)
    .bind(&sha256)
    .bind(&ctx.actor)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    let state = json!({"item": item_id, "name": name, "sha256": sha256, "size": file.size});
    audit::append(tx, org, ctx, AuditEvent::new("share.file", "shared_item", item_id, Some(&state))).await?;
    let row = sqlx::query("SELECT * FROM shared_item_files WHERE id = $1").bind(&id).fetch_one(&mut **tx).await?;
    file_from(&row)
}
