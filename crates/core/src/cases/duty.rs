//! The duty roster (值守, 错时; `domain-spec.md` §13.3): who is on duty for a village or a
//! township, when. Emergencies reach whoever is on duty at that moment.

use super::rules::days;
use super::store;
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// The longest shift accepted.
pub const MAX_SHIFT_DAYS: i64 = 7;

/// One shift as the roster page shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Shift {
    pub id: String,
    pub area_code: String,
    pub user_id: String,
    pub display_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Put a user on duty for an area (a village or township the actor manages cases in). The
/// user must hold a role that handles cases there.
pub async fn add(
    core: &Core,
    actor: &Actor,
    area_code: &str,
    username: &str,
    starts_at: i64,
    ends_at: i64,
) -> AppResult<Shift> {
    let area = super::catalogue::area(core, area_code.trim())
        .await
        .map_err(|_| AppError::field("area_code", "invalid"))?;
    if !actor.is_system() && !actor.scope(Permission::CaseManage).covers_area(&area.code) {
        return Err(AppError::Forbidden);
    }
    if ends_at <= starts_at || ends_at - starts_at > days(MAX_SHIFT_DAYS) {
        return Err(AppError::field("ends_at", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    let user = crate::accounts::store::user_by_name(&mut tx, username.trim())
        .await?
        .ok_or_else(|| AppError::field("username", "invalid"))?;
    let grants = crate::accounts::store::grants(&mut tx, &user.id).await?;
    let fits = grants.iter().any(|g| {
        crate::authz::role_permits(g.role, Permission::CaseHandle)
            && (area.code.starts_with(g.prefix())
                || g.area_code
                    .starts_with(&crate::people::service::significant_prefix(&area.code)))
    });
    if !fits {
        return Err(AppError::field("username", "invalid"));
    }
    let id = clock::new_id();
    store::insert_duty(
        &mut tx,
        &id,
        &area.county_code,
        &area.code,
        &user.id,
        starts_at,
        ends_at,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("duty.add", "duty", &id)
            .area(&area.code)
            .detail(format!(
                "{} {} – {}",
                user.username,
                clock::format_ms(starts_at),
                clock::format_ms(ends_at)
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(Shift {
        id,
        area_code: area.code,
        user_id: user.id,
        display_name: user.display_name,
        starts_at,
        ends_at,
    })
}

/// Shifts of an area that end after `from` (now and upcoming), earliest first.
pub async fn list(core: &Core, actor: &Actor, area_code: &str, from: i64) -> AppResult<Vec<Shift>> {
    if !actor.is_system() && !actor.scope(Permission::CaseRead).covers_area(area_code) {
        return Err(AppError::Forbidden);
    }
    store::duty_list(&core.db, area_code, from).await
}
