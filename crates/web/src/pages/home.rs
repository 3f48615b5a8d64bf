//! Home pages: the staff workbench and the villager home, and the villager's own pages.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::authz::{Grant, Permission};
use xiangzhi_core::people::{self, HouseholdSummary, PersonSummary};
use xiangzhi_core::{accounts, clock, AppError};

use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// One bar of the age chart.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub count: i64,
    pub label: &'static str,
}

pub struct Stats {
    pub households: i64,
    pub people: i64,
    pub party: i64,
    pub over60: i64,
    pub age_bars: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    grants: &'a [Grant],
    stats: Option<Stats>,
    pending: usize,
}

#[derive(Template)]
#[template(path = "villager_home.html")]
struct VillagerHome<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    household: Option<HouseholdSummary>,
}

const BANDS: [&str; 8] = [
    "0–17", "18–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80+",
];

fn bars(bands: &[i64; 8]) -> Vec<Bar> {
    let max = bands.iter().copied().max().unwrap_or(0).max(1);
    bands
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let h = n * 110 / max;
            Bar {
                x: 4 + i as i64 * 40,
                y: 130 - h,
                h,
                count: n,
                label: BANDS[i],
            }
        })
        .collect()
}

async fn own_household(
    st: &AppState,
    c: &Ctx,
) -> Result<Option<(HouseholdSummary, Vec<PersonSummary>)>, WebError> {
    let a = c.actor()?;
    let Some(pid) = &a.person_id else {
        return Ok(None);
    };
    let p = people::store::get_person(&st.core.db, pid, clock::today())
        .await
        .map_err(|e| c.err(e))?;
    let Some(hid) = p.and_then(|p| p.household_id) else {
        return Ok(None);
    };
    let h = people::store::get_household(&st.core.db, &hid)
        .await
        .map_err(|e| c.err(e))?;
    let members = people::store::household_members(&st.core.db, &hid, clock::today())
        .await
        .map_err(|e| c.err(e))?;
    Ok(h.map(|(h, _)| (h, members)))
}

pub async fn home(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    if !c.logged_in() {
        return Ok(Redirect::to("/login").into_response());
    }
    let a = c.actor()?;
    if !a.is_staff() {
        let household = own_household(&st, &c).await?.map(|(h, _)| h);
        return Ok(render(
            &c,
            VillagerHome {
                c: &c,
                flash: None,
                household,
            },
        ));
    }
    let stats = if a.can(Permission::PeopleRead) {
        let s = people::service::stats(&st.core, a, None)
            .await
            .map_err(|e| c.err(e))?;
        Some(Stats {
            households: s.households,
            people: s.people,
            party: s.party,
            over60: s.over60,
            age_bars: bars(&s.age_bands),
        })
    } else {
        None
    };
    let pending = if a.can(Permission::AccountsVillage) {
        accounts::pending_registrations(&st.core, a)
            .await
            .map_err(|e| c.err(e))?
            .len()
    } else {
        0
    };
    Ok(render(
        &c,
        Workbench {
            c: &c,
            flash: None,
            grants: &a.grants,
            stats,
            pending,
        },
    ))
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    person: Option<PersonSummary>,
    error: Option<&'static str>,
    /// Notification preferences, one row per channel.
    prefs: Vec<super::outbound::PrefRow>,
    /// Texts can reach this user (a phone is on record).
    reachable: bool,
    prefs_error: Option<String>,
}

async fn me_person(st: &AppState, c: &Ctx) -> Result<Option<PersonSummary>, WebError> {
    let a = c.actor()?;
    match &a.person_id {
        Some(pid) => people::store::get_person(&st.core.db, pid, clock::today())
            .await
            .map_err(|e| c.err(e)),
        None => Ok(None),
    }
}

/// The `/me` page with an optional confirmation and errors of its two forms.
pub(crate) async fn me_page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    error: Option<&'static str>,
    prefs_error: Option<String>,
) -> Result<Response, WebError> {
    let person = me_person(st, c).await?;
    let (prefs, reachable) = super::outbound::pref_rows(st, c).await?;
    Ok(render(
        c,
        MePage {
            c,
            flash,
            person,
            error,
            prefs,
            reachable,
            prefs_error,
        },
    ))
}

#[derive(Deserialize)]
pub struct MeQuery {
    #[serde(default)]
    done: String,
}

pub async fn me(
    State(st): State<AppState>,
    c: Ctx,
    axum::extract::Query(q): axum::extract::Query<MeQuery>,
) -> Result<Response, WebError> {
    let flash = (q.done == "notifications").then(|| c.t("np.saved").to_string());
    me_page(&st, &c, flash, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let (flash, error) =
        match accounts::change_password(&st.core, a, &f.old_password, &f.new_password).await {
            Ok(()) => (Some(c.t("me.saved").to_string()), None),
            Err(AppError::Validation(v)) => (
                None,
                Some(c.msg(&v.first().map(|e| e.code.clone()).unwrap_or_default())),
            ),
            Err(e) => return Err(c.err(e)),
        };
    me_page(&st, &c, flash, error, None).await
}

#[derive(Template)]
#[template(path = "me_household.html")]
struct MeHousehold<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    household: Option<HouseholdSummary>,
    members: Vec<PersonSummary>,
}

pub async fn me_household(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let (household, members) = match own_household(&st, &c).await? {
        Some((h, m)) => (Some(h), m),
        None => (None, vec![]),
    };
    Ok(render(
        &c,
        MeHousehold {
            c: &c,
            flash: None,
            household,
            members,
        },
    ))
}
