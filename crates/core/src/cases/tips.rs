//! Confidential tips (扫黑除恶 线索, `domain-spec.md` §14.4). Kept apart from cases: their own
//! table and their own keys. The body and the reporter's contact are encrypted under keys
//! derived for tips alone; only the tip officer role reads them, and every read is audited.
//! The reporter gets a receipt code and learns only "received / processing / closed".

use serde::Serialize;

use super::rules::clean_text;
use super::store;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::crypto::{random_token, sm3_hex, Keyring};
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

fn tip_keys(core: &Core) -> (Keyring, Keyring) {
    (
        Keyring::from_master(core.keys.derive_subkey("xiangzhi/v1/tips/body")),
        Keyring::from_master(core.keys.derive_subkey("xiangzhi/v1/tips/reporter")),
    )
}

fn receipt_hash(code: &str) -> String {
    sm3_hex(format!("tip-receipt:{}", code.trim().to_ascii_uppercase()).as_bytes())
}

/// What a tip officer reads.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tip {
    pub id: String,
    pub area_code: String,
    pub status: String,
    pub body: String,
    pub reporter: Option<String>,
    pub created_at: i64,
}

/// Submit a tip. `actor` is `None` for an anonymous submission without an account. Returns
/// the receipt code, shown once.
pub async fn submit(
    core: &Core,
    actor: Option<&Actor>,
    area_code: &str,
    body: &str,
    reporter_contact: Option<&str>,
) -> AppResult<String> {
    let body = clean_text(body);
    if body.chars().count() < 5 {
        return Err(AppError::field("body", "required"));
    }
    if body.chars().count() > super::rules::MAX_DESCRIPTION {
        return Err(AppError::field("body", "too_long"));
    }
    let area = super::catalogue::area(core, area_code.trim())
        .await
        .map_err(|_| AppError::field("area_code", "invalid"))?;
    let contact = reporter_contact.map(clean_text).filter(|s| !s.is_empty());
    if contact.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(AppError::field("contact", "too_long"));
    }
    let (body_key, reporter_key) = tip_keys(core);
    let id = clock::new_id();
    let code = random_token(8).to_ascii_uppercase();
    let body_enc = body_key.encrypt(body.as_bytes(), format!("tip:{id}:body").as_bytes());
    let reporter_enc = contact
        .map(|c| reporter_key.encrypt(c.as_bytes(), format!("tip:{id}:reporter").as_bytes()));
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    store::insert_tip(
        &mut tx,
        &id,
        &area.county_code,
        &area.code,
        &receipt_hash(&code),
        &body_enc,
        reporter_enc.as_deref(),
        now,
    )
    .await?;
    // R-TIP-3: the audit record says a tip exists, nothing of what it says or who sent it.
    let anon = Actor::system("anonymous");
    audit::record(
        &mut tx,
        actor.unwrap_or(&anon),
        Entry::new("tip.submit", "tip", &id).area(&area.code),
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// The status of a tip by its receipt code (no login needed; says nothing else).
pub async fn status(core: &Core, receipt_code: &str) -> AppResult<String> {
    store::tip_status_by_receipt(&core.db, &receipt_hash(receipt_code))
        .await?
        .ok_or(AppError::NotFound("tip"))
}

/// Tips in the officer's area, without their content.
pub async fn list(core: &Core, actor: &Actor) -> AppResult<Vec<(String, String, String, i64)>> {
    let scope = actor.require_any(Permission::TipRead)?;
    if actor.is_system() {
        return Err(AppError::Forbidden);
    }
    let mut out = Vec::new();
    for p in &scope.prefixes {
        out.extend(store::tip_list(&core.db, p).await?);
    }
    Ok(out)
}

/// Read one tip (tip officers only; audited, every time).
pub async fn read(core: &Core, actor: &Actor, id: &str) -> AppResult<Tip> {
    if actor.is_system() {
        return Err(AppError::Forbidden);
    }
    let mut tx = core.db.write.begin().await?;
    let (id, area, status, body_enc, reporter_enc, created_at) = store::tip(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("tip"))?;
    if !actor.scope(Permission::TipRead).contains(&area, None) {
        return Err(AppError::NotFound("tip"));
    }
    let (body_key, reporter_key) = tip_keys(core);
    let body = body_key
        .decrypt_str(&body_enc, format!("tip:{id}:body").as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?;
    let reporter = match reporter_enc {
        Some(b) => Some(
            reporter_key
                .decrypt_str(&b, format!("tip:{id}:reporter").as_bytes())
                .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypt: {e}")))?,
        ),
        None => None,
    };
    audit::record(
        &mut tx,
        actor,
        Entry::new("tip.read", "tip", &id).area(&area),
    )
    .await?;
    tx.commit().await?;
    Ok(Tip {
        id,
        area_code: area,
        status,
        body,
        reporter,
        created_at,
    })
}

/// Move a tip to `processing` or `closed`.
pub async fn set_status(core: &Core, actor: &Actor, id: &str, status: &str) -> AppResult<()> {
    if !matches!(status, "processing" | "closed") {
        return Err(AppError::field("status", "invalid"));
    }
    if actor.is_system() {
        return Err(AppError::Forbidden);
    }
    let mut tx = core.db.write.begin().await?;
    let (_, area, ..) = store::tip(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("tip"))?;
    if !actor.scope(Permission::TipRead).contains(&area, None) {
        return Err(AppError::NotFound("tip"));
    }
    store::set_tip_status(&mut tx, id, status, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("tip.status", "tip", id)
            .area(&area)
            .detail(status),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
