//! 民主评议 pages: the list (staff see their areas, representatives their open ballots), the
//! supervisory committee's form to open the year's appraisal, one appraisal with the ballot
//! form, paper ballots entered by the committee, and the close with verdicts.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use xiangzhi_core::appraisal::rules::Grade;
use xiangzhi_core::appraisal::service::{self as appr, AppraisalView, NewAppraisal, NewSubject};
use xiangzhi_core::appraisal::store::Appraisal;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::{clock, AppError};

use super::cases::error_text;
use super::deliberation::DoneQuery;
use super::render;
use crate::ctx::Ctx;
use crate::error::{status_of, WebError};
use crate::state::AppState;

fn refusable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_) | AppError::InvalidTransition(_) | AppError::Conflict { .. }
    )
}

/// The grades in the order the form shows them.
pub const GRADES: [&str; 4] = ["excellent", "competent", "basic", "incompetent"];

#[derive(Template)]
#[template(path = "deliberation/appraisals.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    errors: Vec<String>,
    list: Vec<Appraisal>,
    mine: Vec<Appraisal>,
    /// The village whose appraisal the committee may open, with its cadres.
    village: String,
    cadres: Vec<(String, String)>,
    year: i32,
}

async fn list_page(
    st: &AppState,
    c: &Ctx,
    flash: Option<String>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let list = if a.scope(Permission::DeliberationRead).is_empty() {
        Vec::new()
    } else {
        appr::list(&st.core, a, 200).await.map_err(|e| c.err(e))?
    };
    let mine = appr::mine(&st.core, a).await.map_err(|e| c.err(e))?;
    let village = a
        .grants
        .iter()
        .map(|g| g.area_code.clone())
        .find(|code| {
            code.len() == 12
                && !code.ends_with("000")
                && a.scope(Permission::DisclosureReview).covers_area(code)
        })
        .unwrap_or_default();
    let cadres = if village.is_empty() {
        Vec::new()
    } else {
        appr::cadres(&st.core, a, &village)
            .await
            .map_err(|e| c.err(e))?
    };
    let bad = !errors.is_empty();
    let mut r = render(
        c,
        ListPage {
            c,
            flash,
            errors,
            list,
            mine,
            village,
            cadres,
            year: clock::year_of(clock::now_ms()),
        },
    );
    if bad {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `/appraisals`.
pub async fn index(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    list_page(&st, &c, flash, Vec::new()).await
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// POST `/appraisals`: `csrf`, `area_code`, `year`, `subject` (repeated person ids) and
/// `post_{person id}`.
pub async fn open(
    State(st): State<AppState>,
    c: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    c.check_csrf(value(&pairs, "csrf"))?;
    let a = c.actor()?;
    let subjects = pairs
        .iter()
        .filter(|(k, _)| k == "subject")
        .map(|(_, id)| NewSubject {
            person_id: id.clone(),
            post: value(&pairs, &format!("post_{id}")).to_string(),
        })
        .collect();
    let year = value(&pairs, "year").trim().parse::<i64>().unwrap_or(0);
    let n = NewAppraisal {
        area_code: value(&pairs, "area_code").to_string(),
        year,
        subjects,
    };
    match appr::open(&st.core, a, n, clock::now_ms()).await {
        Ok(x) => Ok(Redirect::to(&format!("/appraisals/{}?done=1", x.id)).into_response()),
        Err(e) if refusable(&e) => {
            let errs = vec![error_text(&c, &e)];
            list_page(&st, &c, None, errs).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Template)]
#[template(path = "deliberation/appraisal.html")]
struct OnePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    v: AppraisalView,
    /// Staff: the evaluators' list with who has voted.
    evaluators: Vec<(String, String, bool)>,
    can_host: bool,
}

async fn one(
    st: &AppState,
    c: &Ctx,
    id: &str,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let v = appr::get(&st.core, a, id).await.map_err(|e| c.err(e))?;
    let staff = a
        .scope(Permission::DeliberationRead)
        .covers_area(&v.appraisal.area_code);
    let evaluators = if staff {
        appr::evaluators(&st.core, a, id)
            .await
            .map_err(|e| c.err(e))?
    } else {
        Vec::new()
    };
    let can_host = a
        .scope(Permission::DisclosureReview)
        .covers_area(&v.appraisal.area_code);
    Ok(render(
        c,
        OnePage {
            c,
            flash,
            error,
            v,
            evaluators,
            can_host,
        },
    ))
}

/// `/appraisals/{id}`.
pub async fn show(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = q.done.map(|_| c.t("flash.saved").to_string());
    one(&st, &c, &id, flash, None).await
}

async fn done(
    st: &AppState,
    c: &Ctx,
    id: &str,
    r: Result<(), AppError>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/appraisals/{id}?done=1")).into_response()),
        Err(e) if refusable(&e) => {
            let msg = error_text(c, &e);
            let mut resp = one(st, c, id, None, Some(msg)).await?;
            *resp.status_mut() = status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(c.err(e)),
    }
}

/// POST `/appraisals/{id}/ballot`: `csrf`, optional `evaluator` (a paper ballot entered by
/// the committee), `grade_{person id}` for every cadre.
pub async fn ballot(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    c.check_csrf(value(&pairs, "csrf"))?;
    let a = c.actor()?;
    let mut grades = Vec::new();
    let mut bad = false;
    for (k, v) in &pairs {
        if let Some(person) = k.strip_prefix("grade_") {
            match Grade::parse(v) {
                Some(g) => grades.push((person.to_string(), g)),
                None => bad = true,
            }
        }
    }
    let evaluator = Some(value(&pairs, "evaluator").trim()).filter(|s| !s.is_empty());
    let r = if bad {
        Err(AppError::field("grades", "grade_every_cadre"))
    } else {
        appr::cast(&st.core, a, &id, evaluator, &grades, clock::now_ms()).await
    };
    done(&st, &c, &id, r).await
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// POST `/appraisals/{id}/close`.
pub async fn close(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let a = c.actor()?;
    let r = appr::close(&st.core, a, &id, clock::now_ms())
        .await
        .map(|_| ());
    done(&st, &c, &id, r).await
}
