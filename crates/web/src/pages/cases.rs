//! Case pages: raise a case from a phone, follow it by number, rate it; the staff queues, the
//! case page with its timeline and actions, the dispatch board, the indicators and the
//! county's catalogue. Every form works without JavaScript.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xiangzhi_core::authz::Permission;
use xiangzhi_core::cases::{
    self, catalogue, Action, Case, CaseEvent, CaseType, FieldType, NewCase, Queue, RaiseOutcome,
    Raiser, Rating, Status,
};
use xiangzhi_core::{clock, AppError};

use super::render;
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// A case as a list row shows it.
pub struct Row {
    pub id: String,
    pub number: String,
    pub title: String,
    pub type_name: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub org: String,
    pub due: String,
    /// "逾期 3 天" / "剩 2 天" (text, not colour alone).
    pub due_text: String,
    pub overdue: bool,
    pub escalated: bool,
}

fn badge(s: Status) -> &'static str {
    match s {
        Status::Reported | Status::Accepted => "info",
        Status::Dispatched | Status::InProgress | Status::Returned => "warning",
        Status::Suspended => "neutral",
        Status::Handled | Status::Verified => "info",
        Status::Closed | Status::Revisited => "success",
        Status::Rejected => "neutral",
    }
}

fn due_text(c: &Ctx, case: &Case, now: i64) -> (String, bool) {
    due_text_of(c, case.status, case.due_at, now)
}

fn due_text_of(c: &Ctx, status: Status, due_at: i64, now: i64) -> (String, bool) {
    if !status.is_open() {
        return (String::new(), false);
    }
    let day = 24 * 3600 * 1000;
    let hour = 3600 * 1000;
    let d = due_at - now;
    let (n, unit) = if d.abs() >= day {
        (d.abs() / day, c.t("case.days"))
    } else {
        ((d.abs() / hour).max(1), c.t("case.hours"))
    };
    if d < 0 {
        (format!("{} {n} {unit}", c.t("case.overdue_by")), true)
    } else {
        (format!("{} {n} {unit}", c.t("case.left")), false)
    }
}

fn type_name(c: &Ctx, cat: &catalogue::Loaded, code: &str) -> String {
    match cat.types.get(code) {
        Some(t) if c.is_en() => t.name_en.clone(),
        Some(t) => t.name_zh.clone(),
        None => code.to_string(),
    }
}

fn row(c: &Ctx, cat: &catalogue::Loaded, x: cases::store::CaseBrief, now: i64) -> Row {
    let (due_text, overdue) = due_text_of(c, x.status, x.due_at, now);
    Row {
        type_name: type_name(c, cat, &x.type_code),
        status: x.status.as_str(),
        badge: badge(x.status),
        due: clock::format_ms(x.due_at),
        due_text,
        overdue,
        escalated: x.escalations > 0,
        id: x.id,
        number: x.number,
        title: x.title,
        org: x.org,
    }
}

#[derive(Template)]
#[template(path = "cases/queue.html")]
struct QueuePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    queue: &'static str,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    page: i64,
    more: bool,
}

#[derive(Template)]
#[template(path = "cases/mine.html")]
struct MinePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub queue: String,
    pub page: Option<i64>,
    #[serde(default)]
    pub done: String,
}

/// A translated confirmation for `?done=…` after a redirect (only known keys).
fn flash(c: &Ctx, done: &str) -> Option<String> {
    const KNOWN: &[&str] = &["acted", "rated", "saved"];
    KNOWN
        .contains(&done)
        .then(|| c.t(&format!("case.done.{done}")).to_string())
}

/// `/cases`: staff queues, or the villager's own cases.
pub async fn list(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let now = clock::now_ms();
    if !a.can(Permission::CaseRead) {
        let (items, _) = cases::service::list_brief(&st.core, a, Queue::Raised, None, 1, 100)
            .await
            .map_err(|e| c.err(e))?;
        let rows = items.into_iter().map(|x| row(&c, &cat, x, now)).collect();
        return Ok(render(
            &c,
            MinePage {
                c: &c,
                flash: flash(&c, &q.done),
                rows,
            },
        ));
    }
    let queue = Queue::parse(&q.queue).unwrap_or(Queue::Org);
    let page = q.page.unwrap_or(1).max(1);
    let (items, more) = cases::service::list_brief(&st.core, a, queue, None, page, 30)
        .await
        .map_err(|e| c.err(e))?;
    let rows = items.into_iter().map(|x| row(&c, &cat, x, now)).collect();
    Ok(render(
        &c,
        QueuePage {
            c: &c,
            flash: flash(&c, &q.done),
            queue: queue.as_str(),
            tabs: vec![
                ("org", "queue.org"),
                ("mine", "queue.mine"),
                ("overdue", "queue.overdue"),
                ("escalated", "queue.escalated"),
                ("all", "queue.all"),
            ],
            rows,
            page,
            more,
        },
    ))
}

/// `GET /cases/search` parameters.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default, rename = "type")]
    pub type_code: String,
    #[serde(default)]
    pub sort: String,
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "cases/search.html")]
struct SearchView<'a> {
    c: &'a Ctx,
    q: String,
    type_code: String,
    sort: &'static str,
    /// (code, name) of the county's types.
    types: Vec<(String, String)>,
    searched: bool,
    error: Option<String>,
    rows: Vec<Row>,
    total: usize,
    building: bool,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    flash: Option<String>,
}

/// Percent-encode a query-string value.
fn query_value(s: &str) -> String {
    crate::s3::uri_encode(s, true)
}

/// Search cases (Chinese full text) within the reader's areas.
pub async fn search(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<SearchParams>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    if !a.can(Permission::CaseRead) {
        return Err(c.err(AppError::Forbidden));
    }
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let county = a
        .grants
        .first()
        .and_then(|g| g.area_code.get(..6))
        .map(|p| format!("{p}000000"))
        .unwrap_or_default();
    let types = cat
        .county_types(&county)
        .iter()
        .map(|t| (t.code.clone(), type_name(&c, &cat, &t.code)))
        .collect();
    let sort = if q.sort == "new" {
        cases::search::SortBy::Newest
    } else {
        cases::search::SortBy::Relevance
    };
    let page = q.page.unwrap_or(1).clamp(1, 500);
    let mut view = SearchView {
        c: &c,
        q: q.q.clone(),
        type_code: q.type_code.clone(),
        sort: if sort == cases::search::SortBy::Newest {
            "new"
        } else {
            "best"
        },
        types,
        searched: !q.q.trim().is_empty(),
        error: None,
        rows: Vec::new(),
        total: 0,
        building: false,
        page,
        prev_href: None,
        next_href: None,
        flash: None,
    };
    if view.searched {
        let type_code = Some(q.type_code.as_str()).filter(|t| !t.is_empty());
        match cases::service::search(&st.core, a, &q.q, None, type_code, sort, page, 20).await {
            Ok(found) => {
                let now = clock::now_ms();
                let href = |p: i64| {
                    format!(
                        "/cases/search?q={}&type={}&sort={}&page={p}",
                        query_value(&q.q),
                        query_value(&q.type_code),
                        view.sort
                    )
                };
                view.prev_href = (page > 1).then(|| href(page - 1));
                view.next_href = found.has_more.then(|| href(page + 1));
                view.total = found.total;
                view.building = found.building;
                view.rows = found
                    .rows
                    .into_iter()
                    .map(|x| row(&c, &cat, x, now))
                    .collect();
            }
            Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
                view.error = Some(super::error_text(c.lang, &e));
            }
            Err(e) => return Err(c.err(e)),
        }
    }
    Ok(render(&c, view))
}

/// One input of a case type's form.
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    /// (code, name, description) of the types this user may raise.
    types: Vec<(String, String, String)>,
    chosen: Option<(String, String, String)>,
    anonymous_allowed: bool,
    fields: Vec<FieldView>,
    area_code: String,
    areas: Vec<(String, String)>,
    description: String,
    address: String,
    errors: Vec<String>,
    description_error: Option<String>,
    duplicates: Vec<(String, String, String)>,
    /// A fresh idempotency key per form: a double-tapped submit creates one case.
    submission: String,
}

fn may_raise(c: &Ctx, t: &CaseType) -> bool {
    if c.is_staff() {
        return true;
    }
    t.raisers.contains(&Raiser::Public)
}

fn field_views(c: &Ctx, t: &CaseType, values: &BTreeMap<String, Vec<String>>) -> Vec<FieldView> {
    t.fields
        .iter()
        .map(|f| FieldView {
            name: format!("attribute[{}]", f.code),
            label: if c.is_en() {
                f.name_en.clone()
            } else {
                f.name_zh.clone()
            },
            kind: match f.datatype {
                FieldType::Number => "number",
                FieldType::Text => "textarea",
                FieldType::Singlevaluelist | FieldType::Multivaluelist => "select",
                FieldType::Datetime => "datetime",
                FieldType::String => "text",
            },
            required: f.required,
            options: f
                .values
                .iter()
                .map(|v| {
                    (
                        v.key.clone(),
                        if c.is_en() {
                            v.name_en.clone()
                        } else {
                            v.name_zh.clone()
                        },
                    )
                })
                .collect(),
            value: values
                .get(&f.code)
                .and_then(|v| v.first().cloned())
                .unwrap_or_default(),
            error: None,
        })
        .collect()
}

/// The areas a user may raise a case in: their villages (or the township's villages).
async fn raise_areas(st: &AppState, c: &Ctx) -> Result<Vec<(String, String)>, WebError> {
    let a = c.actor()?;
    let mut out = Vec::new();
    for g in &a.grants {
        if !xiangzhi_core::authz::role_permits(g.role, Permission::CaseRaise) {
            continue;
        }
        match g.area_level {
            xiangzhi_core::areas::AreaLevel::Village => {
                out.push((g.area_code.clone(), g.area_name.clone()))
            }
            xiangzhi_core::areas::AreaLevel::Grid | xiangzhi_core::areas::AreaLevel::Group => {
                let v = g.area_code[..12.min(g.area_code.len())].to_string();
                let name = catalogue::area(&st.core, &v)
                    .await
                    .map(|x| x.name)
                    .unwrap_or_else(|_| v.clone());
                out.push((v, name));
            }
            _ => {
                for ch in st
                    .children(&g.area_code)
                    .await
                    .map_err(|e| c.err(e))?
                    .iter()
                {
                    if ch.level == xiangzhi_core::areas::AreaLevel::Village {
                        out.push((ch.code.clone(), ch.name.clone()));
                    }
                }
            }
        }
    }
    out.dedup();
    Ok(out)
}

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(default, rename = "type")]
    pub type_code: String,
}

/// `/cases/new`: choose what to report, then fill in its form.
pub async fn new_form(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    c.actor()?;
    let page = build_new(&st, &c, &q.type_code, &BTreeMap::new()).await?;
    Ok(render(&c, page))
}

async fn build_new<'a>(
    st: &AppState,
    c: &'a Ctx,
    type_code: &str,
    values: &BTreeMap<String, Vec<String>>,
) -> Result<NewPage<'a>, WebError> {
    let a = c.actor()?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let areas = raise_areas(st, c).await?;
    let county = a
        .grants
        .first()
        .map(|g| xiangzhi_core::areas::code::county_of(&g.area_code))
        .unwrap_or_default();
    let mut all = cat.county_types(&county);
    // Everyday matters first, emergencies last (they have their own warning).
    all.sort_by_key(|t| {
        let rank = match t.category {
            cases::Category::Report => 0,
            cases::Category::Service => 1,
            cases::Category::Dispute => 2,
            cases::Category::Hazard => 3,
            cases::Category::Complaint => 4,
            cases::Category::Legal => 5,
            cases::Category::Emergency => 6,
        };
        (rank, t.code.clone())
    });
    let types: Vec<(String, String, String)> = all
        .iter()
        .filter(|t| may_raise(c, t))
        .map(|t| {
            if c.is_en() {
                (t.code.clone(), t.name_en.clone(), t.description_en.clone())
            } else {
                (t.code.clone(), t.name_zh.clone(), t.description_zh.clone())
            }
        })
        .collect();
    let chosen_type: Option<Arc<CaseType>> = all
        .iter()
        .find(|t| t.code == type_code && may_raise(c, t))
        .cloned();
    let one = |k: &str| {
        values
            .get(k)
            .and_then(|v| v.first().cloned())
            .unwrap_or_default()
    };
    Ok(NewPage {
        c,
        flash: None,
        chosen: types.iter().find(|t| t.0 == type_code).cloned(),
        anonymous_allowed: chosen_type.as_ref().is_some_and(|t| t.anonymous_allowed),
        fields: chosen_type
            .as_ref()
            .map(|t| field_views(c, t, values))
            .unwrap_or_default(),
        types,
        area_code: {
            let v = one("area_code");
            if v.is_empty() {
                areas.first().map(|x| x.0.clone()).unwrap_or_default()
            } else {
                v
            }
        },
        areas,
        description: one("description"),
        address: one("address"),
        errors: Vec::new(),
        description_error: None,
        duplicates: Vec::new(),
        submission: xiangzhi_core::crypto::random_token(8),
    })
}

/// POST `/cases`: raise a case from the form (multi-value fields allowed).
pub async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        values.entry(k).or_default().push(v);
    }
    let one = |k: &str| {
        values
            .get(k)
            .and_then(|v| v.first().cloned())
            .unwrap_or_default()
    };
    c.check_csrf(&one("csrf"))?;
    let type_code = one("type_code");
    let mut attrs = BTreeMap::new();
    for (k, v) in &values {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        {
            attrs.insert(code.trim_end_matches("][").to_string(), v.clone());
        }
    }
    let input = NewCase {
        type_code: type_code.clone(),
        area_code: one("area_code"),
        grid_code: a
            .grants
            .iter()
            .find(|g| g.area_level == xiangzhi_core::areas::AreaLevel::Grid)
            .map(|g| g.area_code.clone())
            .filter(|g| g.starts_with(&one("area_code"))),
        title: None,
        description: one("description"),
        attrs,
        lat: None,
        lon: None,
        address: Some(one("address")).filter(|s| !s.trim().is_empty()),
        priority: None,
        reporter_name: None,
        reporter_phone: None,
        anonymous: one("anonymous") == "1",
        idempotency_key: Some(one("submission")).filter(|s| !s.is_empty()),
        not_duplicate: one("not_duplicate") == "1",
    };
    let source = if c.is_staff() { "staff" } else { "app" };
    match cases::raise(&st.core, a, source, input).await {
        Ok(RaiseOutcome::Created { case } | RaiseOutcome::Existing { case }) => {
            Ok(Redirect::to(&format!("/cases/{}?done=created", case.id)).into_response())
        }
        Ok(RaiseOutcome::Duplicates { candidates }) => {
            let mut page = build_new(&st, &c, &type_code, &values).await?;
            page.duplicates = candidates
                .into_iter()
                .map(|d| (d.id, d.number, d.description))
                .collect();
            Ok(render(&c, page))
        }
        Err(AppError::Validation(errs)) => {
            let mut page = build_new(&st, &c, &type_code, &values).await?;
            for e in &errs {
                let msg = c.msg(&e.code).to_string();
                if e.field == "description" {
                    page.description_error = Some(msg);
                } else if let Some(f) = page.fields.iter_mut().find(|f| f.name == e.field) {
                    f.error = Some(msg);
                } else {
                    page.errors.push(format!("{}：{msg}", c.field(&e.field)));
                }
            }
            let mut r = render(&c, page);
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(AppError::NotFound("case_type")) => {
            let page = build_new(&st, &c, "", &values).await?;
            Ok(render(&c, page))
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct FollowQuery {
    #[serde(default)]
    pub number: String,
}

/// `/cases/follow?number=…`: open a case by its public number.
pub async fn follow(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<FollowQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let county = a
        .grants
        .first()
        .map(|g| xiangzhi_core::areas::code::county_of(&g.area_code))
        .unwrap_or_default();
    let case = cases::service::by_number(&st.core, a, &county, &q.number)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response())
}

/// One action form on the case page.
pub struct ActionView {
    pub action: &'static str,
    pub label: &'static str,
    /// `reason`, `evidence`, `note`, `hours`, `rating`, `approve` or empty.
    pub input: &'static str,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    cs: Case,
    type_name: String,
    status_label: &'static str,
    badge: &'static str,
    due: String,
    due_text: String,
    overdue: bool,
    attrs: Vec<(String, String)>,
    events: Vec<CaseEvent>,
    actions: Vec<ActionView>,
    staff: bool,
    error: Option<String>,
    /// The mediation record when the case is a dispute handled by this user.
    mediation: Option<cases::store::Mediation>,
    attachments: Vec<cases::attachments::Attachment>,
    may_attach: bool,
}

fn actions_for(case: &Case, staff: bool, is_reporter: bool) -> Vec<ActionView> {
    use Status as S;
    let a = |action, label, input, primary| ActionView {
        action,
        label,
        input,
        primary,
    };
    let mut v = Vec::new();
    if staff {
        match case.status {
            S::Reported => {
                v.push(a("accept", "act.accept", "", true));
                v.push(a("reject", "act.reject", "reason", false));
            }
            S::Accepted | S::Returned => v.push(a("dispatch", "act.dispatch", "note", true)),
            S::Dispatched => {
                v.push(a("start", "act.start", "", true));
                v.push(a("return", "act.return", "reason", false));
            }
            S::InProgress => {
                v.push(a("handle", "act.handle", "evidence", true));
                v.push(a("suspend", "act.suspend", "reason", false));
                if case.pending_extension_hours.is_none() {
                    v.push(a(
                        "request_extension",
                        "act.request_extension",
                        "hours",
                        false,
                    ));
                }
            }
            S::Suspended => v.push(a("resume", "act.resume", "", true)),
            S::Handled => {
                v.push(a("verify", "act.verify", "note", true));
                v.push(a("reopen", "act.reopen", "reason", false));
            }
            S::Verified => v.push(a("close", "act.close", "", true)),
            S::Closed => v.push(a("rate", "act.rate_phone", "rating", true)),
            S::Rejected | S::Revisited => {}
        }
        if case.pending_extension_hours.is_some() {
            v.push(a(
                "decide_extension",
                "act.decide_extension",
                "approve",
                false,
            ));
        }
        if case.status.is_open() && case.level.next().is_some() {
            v.push(a("escalate", "act.escalate", "reason", false));
        }
        v.push(a("note", "act.note", "note", false));
    } else if is_reporter && case.status == S::Closed {
        v.push(a("rate", "act.rate", "rating", true));
    }
    v
}

#[derive(Deserialize)]
pub struct CaseQuery {
    #[serde(default)]
    pub done: String,
}

async fn case_page(
    st: &AppState,
    c: &Ctx,
    id: &str,
    done: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (case, events) = cases::get(&st.core, a, id).await.map_err(|e| c.err(e))?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let staff = a
        .scope(Permission::CaseRead)
        .contains(&case.area_code, case.grid_code.as_deref());
    let is_reporter = case.reporter_user_id.as_deref() == Some(a.user_id.as_str());
    let now = clock::now_ms();
    let (due_text, overdue) = due_text(c, &case, now);
    let t = cat.types.get(&case.type_code).cloned();
    let attrs = match (&case.attrs, &t) {
        (serde_json::Value::Object(m), Some(t)) => m
            .iter()
            .map(|(k, v)| {
                let f = t.fields.iter().find(|f| &f.code == k);
                let label = f
                    .map(|f| {
                        if c.is_en() {
                            f.name_en.clone()
                        } else {
                            f.name_zh.clone()
                        }
                    })
                    .unwrap_or_else(|| k.clone());
                let raw: Vec<String> = match v {
                    serde_json::Value::Array(xs) => xs
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect(),
                    serde_json::Value::String(s) => vec![s.clone()],
                    other => vec![other.to_string()],
                };
                let shown: Vec<String> = raw
                    .iter()
                    .map(|r| {
                        f.and_then(|f| f.values.iter().find(|x| &x.key == r))
                            .map(|x| {
                                if c.is_en() {
                                    x.name_en.clone()
                                } else {
                                    x.name_zh.clone()
                                }
                            })
                            .unwrap_or_else(|| r.clone())
                    })
                    .collect();
                (label, shown.join("、"))
            })
            .collect(),
        _ => Vec::new(),
    };
    let actions = actions_for(&case, staff && a.is_staff(), is_reporter);
    let attachments = cases::store::attachments(&st.core.db, &case.id)
        .await
        .map_err(|e| c.err(e))?;
    let may_attach = case.status.is_open()
        && (is_reporter
            || a.scope(Permission::CaseHandle)
                .contains(&case.area_code, case.grid_code.as_deref()));
    let dispute = case.category == cases::Category::Dispute;
    let mediation = if dispute && staff && a.is_staff() {
        Some(
            cases::store::mediation_read(&st.core.db, &case.id)
                .await
                .map_err(|e| c.err(e))?
                .unwrap_or_default(),
        )
    } else {
        None
    };
    let type_name = type_name(c, &cat, &case.type_code);
    let status_label = c.t(&format!("status.{}", case.status.as_str()));
    let badge = badge(case.status);
    let due = clock::format_ms(case.due_at);
    let flash = match done {
        "created" => Some(format!("{} {}", c.t("case.done.created"), case.number)),
        other => flash(c, other),
    };
    Ok(render(
        c,
        CasePage {
            c,
            flash,
            cs: case,
            type_name,
            status_label,
            badge,
            due,
            due_text,
            overdue,
            attrs,
            events,
            actions,
            staff: staff && a.is_staff(),
            error,
            mediation,
            attachments,
            may_attach,
        },
    ))
}

/// The sentence a person reads for a refused input: what is wrong, and with which field.
pub(crate) fn error_text(c: &Ctx, e: &AppError) -> String {
    let fields = e.fields();
    if fields.is_empty() {
        return c.msg(e.code()).to_string();
    }
    fields
        .iter()
        .map(|f| format!("{}：{}", c.field(&f.field), c.msg(&f.code)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A refused step on a case: the case page again, with the reason and the right status.
async fn case_refused(st: &AppState, c: &Ctx, id: &str, e: AppError) -> Result<Response, WebError> {
    match e {
        AppError::Validation(_) | AppError::InvalidTransition(_) => {
            let mut r = case_page(st, c, id, "", Some(error_text(c, &e))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(c.err(e)),
    }
}

/// `/cases/{id}`: the case with its timeline and the actions the user may take.
pub async fn show(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, WebError> {
    case_page(&st, &c, &id, &q.done, None).await
}

#[derive(Deserialize)]
pub struct ActForm {
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub approve: String,
}

fn parse_action(f: &ActForm) -> Result<Action, AppError> {
    let text = f.text.clone();
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
    Ok(match f.action.as_str() {
        "accept" => Action::Accept { priority: None },
        "reject" => Action::Reject { reason: text },
        "dispatch" => Action::Dispatch {
            assignee_user_id: None,
            note: opt(&text),
        },
        "return" => Action::Return { reason: text },
        "start" => Action::Start,
        "suspend" => Action::Suspend { reason: text },
        "resume" => Action::Resume,
        "request_extension" => Action::RequestExtension {
            hours: f
                .hours
                .trim()
                .parse()
                .map_err(|_| AppError::field("hours", "invalid"))?,
            reason: text,
        },
        "decide_extension" => Action::DecideExtension {
            approve: f.approve == "1",
            note: opt(&text),
        },
        "handle" => Action::Handle { evidence: text },
        "verify" => Action::Verify { note: opt(&text) },
        "reopen" => Action::Reopen { reason: text },
        "close" => Action::Close,
        "rate" => Action::Rate {
            rating: Rating::parse(&f.rating)
                .ok_or_else(|| AppError::field("rating", "required"))?,
            comment: opt(&text),
        },
        "escalate" => Action::Escalate { reason: text },
        "note" => Action::Note {
            text,
            public: false,
        },
        _ => return Err(AppError::field("action", "invalid")),
    })
}

/// POST `/cases/{id}/act`: one action from the case page.
pub async fn act(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let result = match parse_action(&f) {
        Ok(action) => cases::act(&st.core, a, &id, action).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            let done = if f.action == "rate" { "rated" } else { "acted" };
            Ok(Redirect::to(&format!("/cases/{id}?done={done}")).into_response())
        }
        Err(e) => case_refused(&st, &c, &id, e).await,
    }
}

/// One bar of the indicator chart.
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub on_time: String,
    pub village: String,
    pub township: String,
    pub satisfaction: String,
    pub slipped: i64,
    /// Bar width in the SVG (0–200), from the on-time rate.
    pub bar: i64,
    pub y: i64,
}

#[derive(Template)]
#[template(path = "cases/indicators.html")]
struct IndicatorsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    head: Option<IndicatorRow>,
    rows: Vec<IndicatorRow>,
    chart_h: i64,
}

#[derive(Deserialize)]
pub struct AreaQuery {
    #[serde(default)]
    pub area: String,
}

fn pct(v: Option<i64>) -> String {
    v.map(|x| format!("{}.{}%", x / 10, x % 10))
        .unwrap_or_else(|| "—".into())
}

/// `/cases/indicators`: on-time, 小事不出村, 大事不出镇 and satisfaction per area.
pub async fn indicators(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let area = Some(q.area.as_str()).filter(|s| !s.is_empty());
    let list = cases::indicators(&st.core, a, area)
        .await
        .map_err(|e| c.err(e))?;
    let mut rows: Vec<IndicatorRow> = list
        .into_iter()
        .enumerate()
        .map(|(i, x)| IndicatorRow {
            code: x.area_code,
            name: x.area_name,
            total: x.counts.total,
            open: x.counts.open,
            overdue: x.counts.overdue,
            on_time: pct(x.on_time),
            village: pct(x.village_resolved),
            township: pct(x.township_resolved),
            satisfaction: pct(x.satisfaction),
            slipped: x.counts.slipped_here,
            bar: x.on_time.unwrap_or(0) / 5,
            y: (i as i64 - 1) * 28,
        })
        .collect();
    let head = if rows.is_empty() {
        None
    } else {
        Some(rows.remove(0))
    };
    let chart_h = rows.len() as i64 * 28 + 8;
    Ok(render(
        &c,
        IndicatorsPage {
            c: &c,
            flash: None,
            head,
            rows,
            chart_h,
        },
    ))
}

#[derive(Template)]
#[template(path = "cases/board.html")]
struct BoardPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    columns: Vec<(&'static str, Vec<Row>)>,
}

/// `/cases/board`: the dispatch board of the user's organisation — what waits to be
/// dispatched, what is out, what is in hand, what waits for verification.
pub async fn board(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let (items, _) = cases::service::list_brief(&st.core, a, Queue::Org, None, 1, 200)
        .await
        .map_err(|e| c.err(e))?;
    let now = clock::now_ms();
    let mut cols: Vec<(&'static str, Vec<Row>)> = vec![
        ("board.to_accept", Vec::new()),
        ("board.to_dispatch", Vec::new()),
        ("board.out", Vec::new()),
        ("board.to_verify", Vec::new()),
    ];
    for x in items {
        let i = match x.status {
            Status::Reported => 0,
            Status::Accepted | Status::Returned => 1,
            Status::Dispatched | Status::InProgress | Status::Suspended => 2,
            Status::Handled | Status::Verified => 3,
            _ => continue,
        };
        cols[i].1.push(row(&c, &cat, x, now));
    }
    Ok(render(
        &c,
        BoardPage {
            c: &c,
            flash: None,
            columns: cols,
        },
    ))
}

/// A type row of the catalogue page.
pub struct TypeRow {
    pub code: String,
    pub name: String,
    pub category: &'static str,
    pub level: &'static str,
    pub sla: Vec<(&'static str, String)>,
    pub public: bool,
}

#[derive(Template)]
#[template(path = "cases/catalogue.html")]
struct CataloguePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    types: Vec<TypeRow>,
    policy: &'static str,
    max_reopens: i64,
    holidays: Vec<(String, bool, String)>,
    error: Option<String>,
}

fn sla_text(c: &Ctx, s: cases::Sla) -> String {
    match s {
        cases::Sla::Hours(h) => format!("{h} {}", c.t("case.hours")),
        cases::Sla::WorkingDays(d) => format!("{d} {}", c.t("case.working_days")),
    }
}

fn county_of(c: &Ctx) -> Result<String, WebError> {
    let a = c.actor()?;
    a.grants
        .iter()
        .find(|g| xiangzhi_core::authz::role_permits(g.role, Permission::CaseCatalogue))
        .map(|g| xiangzhi_core::areas::code::county_of(&g.area_code))
        .ok_or_else(|| c.err(AppError::Forbidden))
}

/// `/cases/catalogue`: the county's case types, their SLAs, the engine settings and the
/// holiday calendar.
pub async fn catalogue_page(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    catalogue_render(&st, &c, &q.done, None).await
}

/// A refused catalogue change: the page again with the reason, or the error page.
async fn catalogue_refused(st: &AppState, c: &Ctx, e: AppError) -> Result<Response, WebError> {
    match e {
        AppError::Validation(_) => {
            let mut r = catalogue_render(st, c, "", Some(error_text(c, &e))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(c.err(e)),
    }
}

async fn catalogue_render(
    st: &AppState,
    c: &Ctx,
    done: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let county = county_of(c)?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let types = cat
        .county_types(&county)
        .iter()
        .map(|t| TypeRow {
            code: t.code.clone(),
            name: if c.is_en() {
                t.name_en.clone()
            } else {
                t.name_zh.clone()
            },
            category: t.category.as_str(),
            level: t.first_level.as_str(),
            sla: vec![
                ("priority.urgent", sla_text(c, t.sla.urgent)),
                ("priority.high", sla_text(c, t.sla.high)),
                ("priority.normal", sla_text(c, t.sla.normal)),
                ("priority.low", sla_text(c, t.sla.low)),
            ],
            public: t.visibility == cases::Visibility::Public,
        })
        .collect();
    let s = cat.settings(&county);
    let holidays = cases::store::holidays(&st.core.db, &county)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        c,
        CataloguePage {
            c,
            flash: flash(c, done),
            types,
            policy: match s.unsatisfied_policy {
                cases::UnsatisfiedPolicy::Escalate => "escalate",
                cases::UnsatisfiedPolicy::ReopenThenEscalate => "reopen_then_escalate",
            },
            max_reopens: s.max_reopens,
            holidays,
            error,
        },
    ))
}

#[derive(Deserialize)]
pub struct SlaForm {
    pub csrf: String,
    pub code: String,
    pub priority: String,
    pub kind: String,
    pub n: String,
}

/// POST `/cases/catalogue/sla`: change one SLA of one type.
pub async fn save_sla(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<SlaForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let cat = catalogue::loaded(&st.core).await.map_err(|e| c.err(e))?;
    let mut t = (*cat.case_type(&f.code).map_err(|e| c.err(e))?).clone();
    let Ok(n) = f.n.trim().parse::<u32>() else {
        return catalogue_refused(&st, &c, AppError::field("n", "invalid")).await;
    };
    let sla = match f.kind.as_str() {
        "hours" => cases::Sla::Hours(n),
        "working_days" => cases::Sla::WorkingDays(n),
        _ => return catalogue_refused(&st, &c, AppError::field("kind", "invalid")).await,
    };
    match f.priority.as_str() {
        "urgent" => t.sla.urgent = sla,
        "high" => t.sla.high = sla,
        "normal" => t.sla.normal = sla,
        "low" => t.sla.low = sla,
        _ => return catalogue_refused(&st, &c, AppError::field("priority", "invalid")).await,
    }
    match catalogue::save_type(&st.core, a, t).await {
        Ok(()) => Ok(Redirect::to("/cases/catalogue?done=saved").into_response()),
        Err(e) => catalogue_refused(&st, &c, e).await,
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    pub csrf: String,
    pub policy: String,
    pub max_reopens: String,
}

/// POST `/cases/catalogue/settings`: what an unsatisfied rating does.
pub async fn save_settings(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let county = county_of(&c)?;
    let s = cases::Settings {
        unsatisfied_policy: if f.policy == "escalate" {
            cases::UnsatisfiedPolicy::Escalate
        } else {
            cases::UnsatisfiedPolicy::ReopenThenEscalate
        },
        max_reopens: match f.max_reopens.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                return catalogue_refused(&st, &c, AppError::field("max_reopens", "invalid")).await
            }
        },
    };
    match catalogue::save_settings(&st.core, a, &county, s).await {
        Ok(()) => Ok(Redirect::to("/cases/catalogue?done=saved").into_response()),
        Err(e) => catalogue_refused(&st, &c, e).await,
    }
}

#[derive(Deserialize)]
pub struct HolidayForm {
    pub csrf: String,
    pub day: String,
    #[serde(default)]
    pub workday: String,
    #[serde(default)]
    pub name: String,
}

/// POST `/cases/catalogue/holiday`: a day off, or a worked weekend day.
pub async fn save_holiday(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<HolidayForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let county = county_of(&c)?;
    match catalogue::save_holiday(&st.core, a, &county, &f.day, f.workday == "1", &f.name).await {
        Ok(()) => Ok(Redirect::to("/cases/catalogue?done=saved").into_response()),
        Err(e) => catalogue_refused(&st, &c, e).await,
    }
}

#[derive(Deserialize)]
pub struct MediationForm {
    pub csrf: String,
    pub step: String,
    #[serde(default)]
    pub party: String,
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub parties_signed: String,
    #[serde(default)]
    pub mediator_signed: String,
}

/// POST `/cases/{id}/mediation`: consent, a session or the agreement of a dispute.
pub async fn mediation(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MediationForm>,
) -> Result<Response, WebError> {
    use cases::mediation::{Party, Step};
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let step = match f.step.as_str() {
        "consent" => Step::Consent {
            party: if f.party == "b" { Party::B } else { Party::A },
            consent: f.consent == "1",
        },
        "session" => Step::Session { note: f.text },
        "agreement" => Step::Agreement {
            text: f.text,
            parties_signed: f.parties_signed == "1",
            mediator_signed: f.mediator_signed == "1",
        },
        _ => return Err(c.err(AppError::field("step", "invalid"))),
    };
    match cases::mediation::record(&st.core, a, &id, step).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=acted")).into_response()),
        Err(e) => case_refused(&st, &c, &id, e).await,
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    items: Vec<cases::store::Notification>,
}

/// `/inbox`: what happened to the user's cases and their organisation's (newest first).
pub async fn inbox(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let roles: Vec<(String, String)> = a
        .grants
        .iter()
        .map(|g| (g.role.as_str().to_string(), g.area_code.clone()))
        .collect();
    let mut items = cases::store::inbox(&st.core.db, &a.user_id, &roles, 100)
        .await
        .map_err(|e| c.err(e))?;
    // A daily digest stores `kind=count` pairs; the reader gets them in words.
    for n in items.iter_mut().filter(|n| n.kind == digest_kind()) {
        n.body = xiangzhi_core::outbound::rules::parse_digest_body(&n.body)
            .iter()
            .map(|(k, count)| format!("{} {count}", c.tk("note", k)))
            .collect::<Vec<_>>()
            .join(" · ");
    }
    Ok(render(
        &c,
        InboxPage {
            c: &c,
            flash: None,
            items,
        },
    ))
}

fn digest_kind() -> &'static str {
    xiangzhi_core::outbound::rules::KIND_DIGEST
}

/// POST `/cases/{id}/attachments`: a photo or a document (multipart: `csrf`, `file`).
pub async fn attach(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let mut csrf = String::new();
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| c.err(AppError::field("file", "upload_too_large")))?
    {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                name = field.file_name().unwrap_or("").to_string();
                bytes = field
                    .bytes()
                    .await
                    .map_err(|_| c.err(AppError::field("file", "upload_too_large")))?
                    .to_vec();
            }
            _ => {}
        }
    }
    c.check_csrf(&csrf)?;
    match cases::attachments::attach(&st.core, a, &id, &name, bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=acted")).into_response()),
        Err(e) => case_refused(&st, &c, &id, e).await,
    }
}

/// GET `/attachments/{id}`: the bytes, to whoever may read the case.
pub async fn attachment(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (att, bytes) = cases::attachments::open(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    let disposition = if att.kind == "photo" {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{}.pdf\"", att.id)
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, att.content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=3600".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "cases/duty.html")]
struct DutyPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    area_code: String,
    area_name: String,
    shifts: Vec<cases::duty::Shift>,
    now: i64,
    error: Option<String>,
}

/// The area whose roster a user keeps: their first area where they manage cases.
fn duty_area(c: &Ctx) -> Result<(String, String), WebError> {
    let a = c.actor()?;
    a.grants
        .iter()
        .find(|g| xiangzhi_core::authz::role_permits(g.role, Permission::CaseManage))
        .map(|g| (g.area_code.clone(), g.area_name.clone()))
        .ok_or_else(|| c.err(AppError::Forbidden))
}

async fn duty_page(
    st: &AppState,
    c: &Ctx,
    error: Option<String>,
    done: &str,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let (area_code, area_name) = duty_area(c)?;
    let now = clock::now_ms();
    let shifts = cases::duty::list(&st.core, a, &area_code, now)
        .await
        .map_err(|e| c.err(e))?;
    Ok(render(
        c,
        DutyPage {
            c,
            flash: flash(c, done),
            area_code,
            area_name,
            shifts,
            now,
            error,
        },
    ))
}

/// `/duty`: who is on duty for the village or township, now and next (值守, 错时).
pub async fn duty(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<CaseQuery>,
) -> Result<Response, WebError> {
    duty_page(&st, &c, None, &q.done).await
}

#[derive(Deserialize)]
pub struct DutyForm {
    pub csrf: String,
    pub area_code: String,
    pub username: String,
    pub starts: String,
    pub ends: String,
}

/// A `datetime-local` value in China Standard Time, as ms since the epoch.
pub(crate) fn local_ms(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc().timestamp_millis() - 8 * 3600 * 1000)
}

/// POST `/duty`: add a shift.
pub async fn add_duty(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<DutyForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let result = match (local_ms(&f.starts), local_ms(&f.ends)) {
        (Some(s), Some(e)) => cases::duty::add(&st.core, a, &f.area_code, &f.username, s, e)
            .await
            .map(|_| ()),
        (None, _) => Err(AppError::field("starts_at", "invalid")),
        (_, None) => Err(AppError::field("ends_at", "invalid")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/duty?done=saved").into_response()),
        Err(e @ AppError::Validation(_)) => {
            let mut r = duty_page(&st, &c, Some(error_text(&c, &e)), "").await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Template)]
#[template(path = "tip_new.html")]
struct TipNewPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    area_code: String,
    body: String,
    receipt: Option<String>,
    error: Option<String>,
    lookup: String,
    status: Option<String>,
}

fn tip_new_page<'a>(c: &'a Ctx) -> Result<TipNewPage<'a>, WebError> {
    let a = c.actor()?;
    // The villager's own village; the tip itself is stored without the account.
    let area_code = a
        .grants
        .first()
        .map(|g| g.area_code[..12.min(g.area_code.len())].to_string())
        .unwrap_or_default();
    Ok(TipNewPage {
        c,
        flash: None,
        area_code,
        body: String::new(),
        receipt: None,
        error: None,
        lookup: String::new(),
        status: None,
    })
}

/// `/tips/new`: report a 涉黑涉恶 clue in confidence.
pub async fn tip_new(c: Ctx) -> Result<Response, WebError> {
    let page = tip_new_page(&c)?;
    Ok(render(&c, page))
}

#[derive(Deserialize)]
pub struct TipForm {
    pub csrf: String,
    pub area_code: String,
    pub body: String,
    #[serde(default)]
    pub contact: String,
}

/// POST `/tips`: the tip is stored anonymously (no account, no audit actor); the receipt
/// code is shown once.
pub async fn tip_submit(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<TipForm>,
) -> Result<Response, WebError> {
    c.check_csrf(&f.csrf)?;
    let mut page = tip_new_page(&c)?;
    let contact = Some(f.contact.as_str()).filter(|s| !s.trim().is_empty());
    match cases::tips::submit(&st.core, None, &f.area_code, &f.body, contact).await {
        Ok(code) => {
            page.receipt = Some(code);
            Ok(crate::api::no_store(render(&c, page)))
        }
        Err(e @ AppError::Validation(_)) => {
            page.error = Some(error_text(&c, &e));
            page.body = f.body;
            let mut r = render(&c, page);
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    pub code: String,
}

/// `/tips/status?code=…`: received, processing or closed — nothing more.
pub async fn tip_status(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, WebError> {
    let mut page = tip_new_page(&c)?;
    page.lookup = q.code.clone();
    match cases::tips::status(&st.core, &q.code).await {
        Ok(s) => page.status = Some(s),
        Err(AppError::NotFound(_)) => page.status = Some("unknown".into()),
        Err(e) => return Err(c.err(e)),
    }
    Ok(render(&c, page))
}

#[derive(Template)]
#[template(path = "tips.html")]
struct TipsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<(String, String, String, i64)>,
    tip: Option<cases::tips::Tip>,
}

/// `/tips`: the tip officer's list (no content; opening one is an audited read).
pub async fn tips(State(st): State<AppState>, c: Ctx) -> Result<Response, WebError> {
    let a = c.actor()?;
    let rows = cases::tips::list(&st.core, a).await.map_err(|e| c.err(e))?;
    Ok(render(
        &c,
        TipsPage {
            c: &c,
            flash: None,
            rows,
            tip: None,
        },
    ))
}

/// `/tips/{id}`: read one tip (audited).
pub async fn tip(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let tip = cases::tips::read(&st.core, a, &id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(crate::api::no_store(render(
        &c,
        TipsPage {
            c: &c,
            flash: None,
            rows: Vec::new(),
            tip: Some(tip),
        },
    )))
}

#[derive(Deserialize)]
pub struct TipStatusForm {
    pub csrf: String,
    pub status: String,
}

/// POST `/tips/{id}/status`: processing or closed.
pub async fn tip_set_status(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TipStatusForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    cases::tips::set_status(&st.core, a, &id, &f.status)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Redirect::to("/tips").into_response())
}
