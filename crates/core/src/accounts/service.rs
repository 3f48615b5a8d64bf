//! Account services.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;

use super::rules;
use super::store::{self, UserRow};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission, Role};
use crate::crypto::{random_token, sm3_hex};
use crate::error::{AppError, AppResult};
use crate::people::{self, idnum};
use crate::{areas, clock, Core};

/// Hash a password with argon2id (on a blocking thread: it is deliberately slow).
pub async fn hash_password(password: &str) -> AppResult<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

async fn verify_password(hash: &str, password: &str) -> bool {
    let hash = hash.to_string();
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn totp_aad(user_id: &str) -> Vec<u8> {
    format!("user:{user_id}:totp").into_bytes()
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
}

/// Build the actor of a user.
pub async fn load_actor(core: &Core, user_id: &str, source: Option<String>) -> AppResult<Actor> {
    let mut conn = core.db.read.acquire().await?;
    let u = store::user_by_id(&mut conn, user_id)
        .await?
        .ok_or(AppError::Unauthenticated("session_expired"))?;
    if u.status != "active" {
        return Err(AppError::Unauthenticated("account_disabled"));
    }
    let grants = store::grants(&mut conn, user_id).await?;
    Ok(Actor {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        person_id: u.person_id,
        grants,
        source,
        on_behalf_of: None,
    })
}

/// Log in with username, password and (where the role needs it) a TOTP code.
pub async fn login(
    core: &Core,
    username: &str,
    password: &str,
    otp: &str,
    kind: &str,
    source: Option<String>,
) -> AppResult<Session> {
    let now = clock::now_ms();
    let username = username.trim();
    let mut tx = core.db.write.begin().await?;
    let Some(u) = store::user_by_name(&mut tx, username).await? else {
        // Spend the same time as a real check so timing does not reveal which names exist.
        let _ = hash_password(password).await;
        return Err(AppError::Unauthenticated("bad_credentials"));
    };
    let attempt_actor = Actor {
        user_id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        person_id: u.person_id.clone(),
        grants: Vec::new(),
        source: source.clone(),
        on_behalf_of: None,
    };
    if rules::is_locked(u.locked_until, now) {
        return Err(AppError::Unauthenticated("account_locked"));
    }
    let ok = !u.proxy_only && verify_password(&u.password_hash, password).await;
    if !ok {
        let (failed, until) = rules::after_failure(u.failed_logins, now);
        store::set_login_state(&mut tx, &u.id, failed, until, now).await?;
        let action = if until > 0 {
            "user.locked"
        } else {
            "user.login_failed"
        };
        audit::record(&mut tx, &attempt_actor, Entry::new(action, "user", &u.id)).await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated(if until > 0 {
            "account_locked"
        } else {
            "bad_credentials"
        }));
    }
    match u.status.as_str() {
        "active" => {}
        "pending" => return Err(AppError::Unauthenticated("account_pending")),
        _ => return Err(AppError::Unauthenticated("account_disabled")),
    }
    let grants = store::grants(&mut tx, &u.id).await?;
    let needs_totp = grants.iter().any(|g| g.role.requires_totp());
    if needs_totp || u.totp_enc.is_some() {
        let Some(enc) = &u.totp_enc else {
            // A role that needs a second factor without one configured cannot log in.
            return Err(AppError::Unauthenticated("otp_required"));
        };
        if otp.trim().is_empty() {
            return Err(AppError::Unauthenticated("otp_required"));
        }
        let secret = core
            .keys
            .decrypt(enc, &totp_aad(&u.id))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("totp secret: {e}")))?;
        if !rules::check_totp(&secret, otp, now) {
            let (failed, until) = rules::after_failure(u.failed_logins, now);
            store::set_login_state(&mut tx, &u.id, failed, until, now).await?;
            audit::record(
                &mut tx,
                &attempt_actor,
                Entry::new("user.otp_failed", "user", &u.id),
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated(if until > 0 {
                "account_locked"
            } else {
                "otp_invalid"
            }));
        }
    }
    store::set_login_state(&mut tx, &u.id, 0, 0, now).await?;
    let token = random_token(32);
    let csrf = random_token(16);
    let expires = now
        + if kind == "api" {
            rules::API_TOKEN_MS
        } else {
            rules::BROWSER_SESSION_MS
        };
    store::insert_session(
        &mut tx,
        &sm3_hex(token.as_bytes()),
        &u.id,
        kind,
        &csrf,
        None,
        now,
        expires,
    )
    .await?;
    let actor = Actor {
        grants,
        ..attempt_actor
    };
    audit::record(
        &mut tx,
        &actor,
        Entry::new("user.login", "user", &u.id).detail(kind.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Session { token, csrf, actor })
}

/// What a presented token resolves to.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: String,
    pub kind: String,
    pub csrf: String,
    pub last_seen: i64,
    pub expires_at: i64,
}

/// Look a token up (without touching it). `None` when unknown or expired.
pub async fn authenticate(core: &Core, token: &str) -> AppResult<Option<Authenticated>> {
    let now = clock::now_ms();
    let Some((user_id, kind, csrf, last_seen, expires_at)) =
        store::session(&core.db, &sm3_hex(token.as_bytes())).await?
    else {
        return Ok(None);
    };
    if !rules::session_valid(&kind, last_seen, expires_at, now) {
        return Ok(None);
    }
    Ok(Some(Authenticated {
        user_id,
        kind,
        csrf,
        last_seen,
        expires_at,
    }))
}

/// Record activity on a session (callers do this at most once a minute).
pub async fn touch(core: &Core, token: &str) -> AppResult<()> {
    store::touch_session(&core.db, &sm3_hex(token.as_bytes()), clock::now_ms()).await
}

pub async fn logout(core: &Core, actor: &Actor, token: &str) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    store::delete_session(&mut tx, &sm3_hex(token.as_bytes())).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.logout", "user", &actor.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Input for a new staff or administrator account.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub person_id: Option<String>,
    /// Whether the account is for staff (stricter password policy).
    #[serde(default = "yes")]
    pub staff: bool,
}

fn yes() -> bool {
    true
}

fn validate_username(u: &str) -> AppResult<()> {
    let ok = (3..=32).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::field("username", "invalid"))
    }
}

/// Create an account (system administrator; no roles — those are the security
/// administrator's to grant).
pub async fn create_user(core: &Core, actor: &Actor, input: &NewUser) -> AppResult<String> {
    let scope = actor.require_any(Permission::UsersManage)?;
    let username = input.username.trim();
    validate_username(username)?;
    if input.display_name.trim().is_empty() {
        return Err(AppError::field("display_name", "required"));
    }
    rules::check_password(&input.password, username, input.staff)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = hash_password(&input.password).await?;
    let now = clock::now_ms();
    let id = clock::new_id();
    let county = scope
        .prefixes
        .first()
        .map(|p| crate::areas::code::county_of(p))
        .unwrap_or_default();
    let mut tx = core.db.write.begin().await?;
    store::insert_user(
        &mut tx,
        &UserRow {
            id: id.clone(),
            county_code: county,
            username: username.to_string(),
            display_name: input.display_name.trim().to_string(),
            person_id: input.person_id.clone().filter(|s| !s.is_empty()),
            password_hash: hash,
            totp_enc: None,
            status: "active".into(),
            proxy_only: false,
            failed_logins: 0,
            locked_until: 0,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.create", "user", &id).detail(username.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Look a user up by username (administration).
pub async fn find_user(core: &Core, username: &str) -> AppResult<Option<UserRow>> {
    let mut conn = core.db.read.acquire().await?;
    store::user_by_name(&mut conn, username.trim()).await
}

/// Reset a password (system administrator). Ends the user's sessions.
pub async fn reset_password(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    password: &str,
) -> AppResult<()> {
    actor.require_any(Permission::UsersManage)?;
    if actor.user_id == user_id {
        return Err(AppError::field("user", "separation_of_duties"));
    }
    let mut conn = core.db.read.acquire().await?;
    let u = store::user_by_id(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    drop(conn);
    let staff = u.person_id.is_none();
    rules::check_password(password, &u.username, staff)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = hash_password(password).await?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    store::set_password(&mut tx, user_id, &hash, now).await?;
    store::delete_user_sessions(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.reset_password", "user", user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Change one's own password.
pub async fn change_password(core: &Core, actor: &Actor, old: &str, new: &str) -> AppResult<()> {
    let mut conn = core.db.read.acquire().await?;
    let u = store::user_by_id(&mut conn, &actor.user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    drop(conn);
    if !verify_password(&u.password_hash, old).await {
        return Err(AppError::field("old_password", "bad_credentials"));
    }
    rules::check_password(new, &u.username, actor.is_staff())
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = hash_password(new).await?;
    let mut tx = core.db.write.begin().await?;
    store::set_password(&mut tx, &u.id, &hash, clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.change_password", "user", &u.id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disable or re-enable an account (system administrator).
pub async fn set_user_active(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    active: bool,
) -> AppResult<()> {
    actor.require_any(Permission::UsersManage)?;
    if actor.user_id == user_id {
        return Err(AppError::field("user", "separation_of_duties"));
    }
    let mut tx = core.db.write.begin().await?;
    let n = store::set_status(
        &mut tx,
        user_id,
        if active { "active" } else { "disabled" },
        clock::now_ms(),
    )
    .await?;
    if n == 0 {
        return Err(AppError::NotFound("user"));
    }
    if !active {
        store::delete_user_sessions(&mut tx, user_id).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            if active {
                "user.enable"
            } else {
                "user.disable"
            },
            "user",
            user_id,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The outcome of a grant: a new TOTP secret (base32) when the role needs one and the user
/// had none — to be handed to the user once.
#[derive(Debug, Clone, Serialize)]
pub struct GrantOutcome {
    pub totp_secret: Option<String>,
}

/// Grant a role on an area (security administrator). Nobody grants to themselves.
pub async fn grant_role(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    role: Role,
    area_code: &str,
) -> AppResult<GrantOutcome> {
    let scope = actor.require_any(Permission::RolesGrant)?;
    if actor.user_id == user_id {
        return Err(AppError::field("user", "separation_of_duties"));
    }
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let area = areas::store::get_tx(&mut tx, area_code.trim())
        .await?
        .ok_or_else(|| AppError::field("area_code", "area_parent_missing"))?;
    if !scope.covers_area(&area.code) {
        return Err(AppError::field("area_code", "area_outside_scope"));
    }
    if !role.allowed_levels().contains(&area.level) {
        return Err(AppError::field("role", "role_invalid"));
    }
    let u = store::user_by_id(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    // Separation of duties: an administrator holds no other role, and no one holds two
    // administrator roles.
    let existing = store::grants(&mut tx, user_id).await?;
    if existing
        .iter()
        .any(|g| g.role != role && (g.role.is_admin() || role.is_admin()))
    {
        return Err(AppError::field("role", "separation_of_duties"));
    }
    store::insert_grant(
        &mut tx,
        user_id,
        role,
        &area.code,
        Some(&actor.user_id),
        now,
    )
    .await?;
    let mut out = GrantOutcome { totp_secret: None };
    if role.requires_totp() && u.totp_enc.is_none() {
        let secret: [u8; 20] = rand::random();
        store::set_totp(
            &mut tx,
            user_id,
            Some(core.keys.encrypt(&secret, &totp_aad(user_id))),
            now,
        )
        .await?;
        out.totp_secret = Some(rules::totp_base32(&secret));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.grant_role", "user", user_id)
            .area(&area.code)
            .detail(format!("{} @ {}", role.as_str(), area.code)),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Revoke a role (security administrator).
pub async fn revoke_role(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    role: Role,
    area_code: &str,
) -> AppResult<()> {
    let scope = actor.require_any(Permission::RolesGrant)?;
    if actor.user_id == user_id {
        return Err(AppError::field("user", "separation_of_duties"));
    }
    if !scope.covers_area(area_code) {
        return Err(AppError::Forbidden);
    }
    let mut tx = core.db.write.begin().await?;
    if store::delete_grant(&mut tx, user_id, role, area_code).await? == 0 {
        return Err(AppError::NotFound("grant"));
    }
    store::delete_user_sessions(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.revoke_role", "user", user_id)
            .area(area_code)
            .detail(format!("{} @ {}", role.as_str(), area_code)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Unlock an account locked by failed logins (security administrator).
pub async fn unlock(core: &Core, actor: &Actor, user_id: &str) -> AppResult<()> {
    actor.require_any(Permission::RolesGrant)?;
    let mut tx = core.db.write.begin().await?;
    store::set_login_state(&mut tx, user_id, 0, 0, clock::now_ms()).await?;
    audit::record(&mut tx, actor, Entry::new("user.unlock", "user", user_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// A villager's self-registration.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Registration {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub password: String,
}

/// Register a villager account by matching a registry record (name, ID number and phone).
/// The account is pending until a cadre of the village confirms it or the villager enters the
/// code sent to the registered phone. The username is the phone number.
pub async fn register_villager(
    core: &Core,
    r: &Registration,
    source: Option<String>,
) -> AppResult<String> {
    let today = clock::today();
    let info =
        idnum::parse_id(&r.id_number, today).map_err(|e| AppError::field("id_number", e.code()))?;
    let phone =
        people::parse_phone(&r.phone).ok_or_else(|| AppError::field("phone", "phone_format"))?;
    rules::check_password(&r.password, &phone, false).map_err(|e| AppError::Validation(vec![e]))?;
    let bidx = core
        .keys
        .blind_index(people::service::BIDX_ID, &info.number);
    let phone_bidx = core.keys.blind_index(people::service::BIDX_PHONE, &phone);
    let hash = hash_password(&r.password).await?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    // One answer for every mismatch, so the form cannot be used to probe the registry.
    let Some((person_id, name, reg_phone, area, county)) =
        people::store::registry_match(&mut tx, &bidx).await?
    else {
        return Err(AppError::field("id_number", "registry_mismatch"));
    };
    if name != r.name.trim() || reg_phone.as_deref() != Some(phone_bidx.as_str()) {
        return Err(AppError::field("id_number", "registry_mismatch"));
    }
    if store::user_by_person(&mut tx, &person_id).await?.is_some() {
        return Err(AppError::Conflict {
            code: "duplicate_username",
            field: Some("phone"),
        });
    }
    let id = clock::new_id();
    store::insert_user(
        &mut tx,
        &UserRow {
            id: id.clone(),
            county_code: county,
            username: phone.clone(),
            display_name: name,
            person_id: Some(person_id.clone()),
            password_hash: hash,
            totp_enc: None,
            status: "pending".into(),
            proxy_only: false,
            failed_logins: 0,
            locked_until: 0,
        },
        now,
    )
    .await?;
    store::insert_grant(&mut tx, &id, Role::Villager, &area[..12], None, now).await?;
    let actor = Actor {
        user_id: id.clone(),
        username: phone,
        display_name: r.name.trim().to_string(),
        person_id: Some(person_id),
        grants: Vec::new(),
        source,
        on_behalf_of: None,
    };
    audit::record(
        &mut tx,
        &actor,
        Entry::new("user.register", "user", &id).area(&area),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Pending registrations in the actor's villages.
pub async fn pending_registrations(
    core: &Core,
    actor: &Actor,
) -> AppResult<Vec<(UserRow, String)>> {
    let scope = actor.require_any(Permission::AccountsVillage)?;
    let mut out = Vec::new();
    for p in &scope.prefixes {
        out.extend(store::pending_registrations(&core.db, p).await?);
    }
    Ok(out)
}

/// A cadre of the villager's village confirms a pending registration.
pub async fn confirm_registration(core: &Core, actor: &Actor, user_id: &str) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let u = store::user_by_id(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let person = u.person_id.clone().ok_or(AppError::NotFound("user"))?;
    let p = people::store::get_person_tx(&mut tx, &person, clock::today())
        .await?
        .ok_or(AppError::NotFound("person"))?;
    actor
        .require(
            Permission::AccountsVillage,
            &p.area_code,
            p.grid_code.as_deref(),
        )
        .map_err(|_| AppError::NotFound("user"))?;
    if u.status != "pending" {
        return Err(AppError::InvalidTransition("account_not_pending"));
    }
    store::set_status(&mut tx, user_id, "active", clock::now_ms()).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.confirm", "user", user_id).area(&p.area_code),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Send a confirmation code to the phone of a pending registration.
pub async fn send_registration_code(core: &Core, phone: &str) -> AppResult<()> {
    let phone =
        people::parse_phone(phone).ok_or_else(|| AppError::field("phone", "phone_format"))?;
    let mut tx = core.db.write.begin().await?;
    let Some(u) = store::user_by_name(&mut tx, &phone).await? else {
        // Same answer whether or not the phone is registered.
        return Ok(());
    };
    if u.status != "pending" {
        return Ok(());
    }
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let now = clock::now_ms();
    store::insert_code(
        &mut tx,
        "register",
        &u.id,
        &sm3_hex(format!("{}:{code}", u.id).as_bytes()),
        now,
        now + rules::OTC_MS,
    )
    .await?;
    tx.commit().await?;
    core.sms
        .send(
            &phone,
            &format!("【乡治】您的注册验证码是 {code}，10 分钟内有效。请勿告诉他人。"),
        )
        .await
        .map_err(AppError::Internal)?;
    Ok(())
}

/// Confirm a registration with the code from the SMS.
pub async fn verify_registration_code(core: &Core, phone: &str, code: &str) -> AppResult<()> {
    let phone =
        people::parse_phone(phone).ok_or_else(|| AppError::field("phone", "phone_format"))?;
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let u = store::user_by_name(&mut tx, &phone)
        .await?
        .ok_or_else(|| AppError::field("code", "code_invalid"))?;
    let (cid, hash, attempts, expires) = store::live_code(&mut tx, "register", &u.id)
        .await?
        .ok_or_else(|| AppError::field("code", "code_invalid"))?;
    let ok = attempts < rules::OTC_ATTEMPTS
        && expires > now
        && crate::crypto::constant_time_eq(
            hash.as_bytes(),
            sm3_hex(format!("{}:{}", u.id, code.trim()).as_bytes()).as_bytes(),
        );
    store::bump_code(&mut tx, &cid, ok).await?;
    if !ok {
        tx.commit().await?;
        return Err(AppError::field("code", "code_invalid"));
    }
    store::set_status(&mut tx, &u.id, "active", now).await?;
    let actor = Actor {
        user_id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        person_id: u.person_id.clone(),
        grants: Vec::new(),
        source: None,
        on_behalf_of: None,
    };
    audit::record(
        &mut tx,
        &actor,
        Entry::new("user.confirm_by_code", "user", &u.id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A cadre creates an account for a villager without smartphone skills; the account cannot
/// log in by itself, and the cadre acts for the villager (audited as such).
pub async fn create_proxy_account(
    core: &Core,
    actor: &Actor,
    person_id: &str,
) -> AppResult<String> {
    let now = clock::now_ms();
    let mut tx = core.db.write.begin().await?;
    let p = people::store::get_person_tx(&mut tx, person_id, clock::today())
        .await?
        .ok_or(AppError::NotFound("person"))?;
    actor
        .require(
            Permission::AccountsVillage,
            &p.area_code,
            p.grid_code.as_deref(),
        )
        .map_err(|_| AppError::NotFound("person"))?;
    if store::user_by_person(&mut tx, person_id).await?.is_some() {
        return Err(AppError::Conflict {
            code: "duplicate_username",
            field: None,
        });
    }
    let id = clock::new_id();
    store::insert_user(
        &mut tx,
        &UserRow {
            id: id.clone(),
            county_code: format!("{}000000", &p.area_code[..6]),
            username: format!("proxy-{}", &id[id.len() - 12..]),
            display_name: p.name.clone(),
            person_id: Some(person_id.to_string()),
            password_hash: "!".into(),
            totp_enc: None,
            status: "active".into(),
            proxy_only: true,
            failed_logins: 0,
            locked_until: 0,
        },
        now,
    )
    .await?;
    store::insert_grant(
        &mut tx,
        &id,
        Role::Villager,
        &p.area_code[..12],
        Some(&actor.user_id),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.create_proxy", "user", &id).area(&p.area_code),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The actor a cadre uses to act for a villager: the villager's grants and person, the
/// cadre's identity in the audit record, the villager named as `on_behalf_of`.
pub async fn act_for(core: &Core, actor: &Actor, villager_user_id: &str) -> AppResult<Actor> {
    let v = load_actor(core, villager_user_id, actor.source.clone()).await?;
    let person = v.person_id.clone().ok_or(AppError::NotFound("user"))?;
    let p = people::store::get_person(&core.db, &person, clock::today())
        .await?
        .ok_or(AppError::NotFound("person"))?;
    actor
        .require(
            Permission::AccountsVillage,
            &p.area_code,
            p.grid_code.as_deref(),
        )
        .map_err(|_| AppError::NotFound("user"))?;
    Ok(Actor {
        user_id: actor.user_id.clone(),
        username: actor.username.clone(),
        display_name: actor.display_name.clone(),
        person_id: v.person_id,
        grants: v.grants,
        source: actor.source.clone(),
        on_behalf_of: Some(v.user_id),
    })
}

/// Create a long-lived API token for the actor.
pub async fn create_api_token(core: &Core, actor: &Actor, label: &str) -> AppResult<String> {
    let now = clock::now_ms();
    let token = random_token(32);
    let mut tx = core.db.write.begin().await?;
    store::insert_session(
        &mut tx,
        &sm3_hex(token.as_bytes()),
        &actor.user_id,
        "api",
        &random_token(16),
        Some(label),
        now,
        now + rules::API_TOKEN_MS,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new("user.api_token", "user", &actor.user_id).detail(label.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}
