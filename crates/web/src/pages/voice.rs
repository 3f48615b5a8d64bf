//! Villagers' voice pages: 村民说事 (a villager posts a suggestion from the phone and reads
//! the answer; cadres answer, adopt or decline, overdue ones first and in red), consultative
//! polls (one vote per villager, results as bars after voting or closing) and the village
//! bylaws (versions with their hash, township filing and review with flagged clauses).
//! Every form works without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use xiangzhi_core::areas::AreaLevel;
use xiangzhi_core::authz::{Actor, Permission};
use xiangzhi_core::voice::model::Suggestion;
use xiangzhi_core::voice::rules::{Answer, Review, SuggestionStatus};
use xiangzhi_core::voice::service::{self as voice, NewBylaw, NewPoll, NewSuggestion};
use xiangzhi_core::{clock, AppError};

use super::cases::error_text;
use super::{render, villages_with};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::state::AppState;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Answered suggestions shown to staff besides every open one.
const ANSWERED_SHOWN: usize = 50;

/// A translated confirmation for `?done=…` after a redirect (only known keys).
fn flash(c: &Ctx, done: &str) -> Option<String> {
    const KNOWN: &[&str] = &[
        "posted", "answered", "opened", "voted", "adopted", "filed", "reviewed",
    ];
    KNOWN
        .contains(&done)
        .then(|| c.t(&format!("voice.done.{done}")).to_string())
}

/// The villages the user reads as staff (village, township or county), by name.
async fn staff_villages(st: &AppState, c: &Ctx) -> Result<Vec<(String, String)>, WebError> {
    let mut v = villages_with(st, c, Permission::DeliberationRead).await?;
    v.extend(villages_with(st, c, Permission::DeliberationOversee).await?);
    v.sort();
    v.dedup_by(|x, y| x.0 == y.0);
    Ok(v)
}

/// The village a page is about: the one asked for when the user may see it, else the first.
fn chosen(villages: &[(String, String)], asked: &str) -> Option<(String, String)> {
    villages
        .iter()
        .find(|v| v.0 == asked)
        .or_else(|| villages.first())
        .cloned()
}

/// An area code fit to go back into a redirect (digits only; anything else is dropped).
fn area_param(s: &str) -> &str {
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        s
    } else {
        ""
    }
}

fn manages(a: &Actor, area: &str) -> bool {
    a.scope(Permission::DeliberationManage).contains(area, None)
}

fn township_of(a: &Actor, area: &str) -> bool {
    a.require_at_level(Permission::DeliberationOversee, area, AreaLevel::Township)
        .is_ok()
}

#[derive(Deserialize, Default)]
pub struct AreaQuery {
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub done: String,
}

// ---------------------------------------------------------------- suggestions

/// A suggestion as its row shows it.
pub struct SuggestionRow {
    pub id: String,
    pub text: String,
    pub village: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub posted: String,
    pub due: String,
    /// "逾期 3 天" / "剩 2 天" (text, not colour alone).
    pub due_text: String,
    pub overdue: bool,
    pub answer: String,
    pub matter_id: String,
    pub answered: String,
    pub may_answer: bool,
}

fn suggestion_row(
    c: &Ctx,
    a: &Actor,
    villages: &[(String, String)],
    s: Suggestion,
    now: i64,
) -> SuggestionRow {
    let open = s.status == SuggestionStatus::Open;
    let overdue = open && now > s.due_at;
    let due_text = if !open {
        String::new()
    } else if overdue {
        let days = ((now - s.due_at) / DAY_MS).max(1);
        format!("{} {days} {}", c.t("case.overdue_by"), c.t("case.days"))
    } else {
        let days = ((s.due_at - now) + DAY_MS - 1) / DAY_MS;
        format!("{} {days} {}", c.t("case.left"), c.t("case.days"))
    };
    SuggestionRow {
        village: villages
            .iter()
            .find(|v| v.0 == s.area_code)
            .map(|v| v.1.clone())
            .unwrap_or_default(),
        status: s.status.as_str(),
        badge: match s.status {
            SuggestionStatus::Open if overdue => "danger",
            SuggestionStatus::Open => "warning",
            SuggestionStatus::Answered | SuggestionStatus::Adopted => "success",
            SuggestionStatus::Declined => "neutral",
        },
        posted: clock::format_ms(s.created_at),
        due: clock::format_ms(s.due_at),
        due_text,
        overdue,
        answer: s.answer_text.clone().unwrap_or_default(),
        matter_id: s.matter_id.clone().unwrap_or_default(),
        answered: s.answered_at.map(clock::format_ms).unwrap_or_default(),
        may_answer: open && manages(a, &s.area_code),
        id: s.id,
        text: s.text,
    }
}

#[derive(Template)]
#[template(path = "voice/mine.html")]
struct MinePage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    rows: Vec<SuggestionRow>,
    area_code: String,
    text: String,
    text_error: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "voice/answers.html")]
struct StaffPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    open: Vec<SuggestionRow>,
    answered: Vec<SuggestionRow>,
    overdue: usize,
}

/// `/suggestions`: a villager's own suggestions and the form to post one; for staff, the
/// suggestions of their areas with the answer forms.
pub async fn suggestions(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, WebError> {
    suggestions_page(&st, &c, &q.done, None, String::new(), None).await
}

async fn suggestions_page(
    st: &AppState,
    c: &Ctx,
    done: &str,
    error: Option<String>,
    text: String,
    text_error: Option<String>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let now = clock::now_ms();
    if a.can(Permission::DeliberationRead) || a.can(Permission::DeliberationOversee) {
        let villages = staff_villages(st, c).await?;
        let mut all = voice::suggestions(&st.core, a)
            .await
            .map_err(|e| c.err(e))?;
        // Oldest deadline first among the open ones; newest answer first among the rest.
        all.sort_by_key(|s| s.due_at);
        let (open, mut done_rows): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|s| s.status == SuggestionStatus::Open);
        done_rows.sort_by_key(|s| std::cmp::Reverse(s.answered_at.unwrap_or(s.updated_at)));
        let open: Vec<SuggestionRow> = open
            .into_iter()
            .map(|s| suggestion_row(c, a, &villages, s, now))
            .collect();
        let overdue = open.iter().filter(|r| r.overdue).count();
        return Ok(render(
            c,
            StaffPage {
                c,
                flash: flash(c, done),
                error,
                overdue,
                open,
                answered: done_rows
                    .into_iter()
                    .take(ANSWERED_SHOWN)
                    .map(|s| suggestion_row(c, a, &villages, s, now))
                    .collect(),
            },
        ));
    }
    let villages = villages_with(st, c, Permission::SelfService).await?;
    let mut mine = voice::my_suggestions(&st.core, a)
        .await
        .map_err(|e| c.err(e))?;
    mine.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let failed = text_error.is_some() || error.is_some();
    let mut r = render(
        c,
        MinePage {
            c,
            flash: flash(c, done),
            rows: mine
                .into_iter()
                .map(|s| suggestion_row(c, a, &villages, s, now))
                .collect(),
            area_code: villages.first().map(|v| v.0.clone()).unwrap_or_default(),
            text,
            text_error,
            error,
        },
    );
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct SuggestionForm {
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub text: String,
}

/// POST `/suggestions`: a villager posts a suggestion in their village.
pub async fn post_suggestion(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<SuggestionForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let input = NewSuggestion {
        area_code: f.area_code.clone(),
        text: f.text.clone(),
        person_id: None,
    };
    match voice::post_suggestion(&st.core, a, &input).await {
        Ok(_) => Ok(Redirect::to("/suggestions?done=posted").into_response()),
        Err(AppError::Validation(errs)) => {
            let text_error = errs
                .iter()
                .find(|e| e.field == "text")
                .map(|e| c.msg(&e.code).to_string());
            let error = errs
                .iter()
                .filter(|e| e.field != "text")
                .map(|e| format!("{}：{}", c.field(&e.field), c.msg(&e.code)))
                .reduce(|x, y| format!("{x} {y}"));
            suggestions_page(&st, &c, "", error, f.text, text_error).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    pub csrf: String,
    /// `answered`, `adopted` or `declined`.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub matter_id: String,
}

/// POST `/suggestions/{id}/answer`: answer with text, adopt as a deliberation matter, or
/// decline with a reason.
pub async fn answer(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let ans = match f.outcome.as_str() {
        "answered" => Ok(Answer::Answered {
            text: f.text.clone(),
        }),
        "adopted" => Ok(Answer::Adopted {
            matter_id: f.matter_id.clone(),
        }),
        "declined" => Ok(Answer::Declined {
            reason: f.text.clone(),
        }),
        _ => Err(AppError::field("outcome", "not_in_list")),
    };
    let result = match ans {
        Ok(ans) => voice::answer_suggestion(&st.core, a, &id, &ans).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/suggestions?done=answered").into_response()),
        Err(e @ (AppError::Validation(_) | AppError::InvalidTransition(_))) => {
            let status = crate::error::status_of(&e);
            let mut r =
                suggestions_page(&st, &c, "", Some(error_text(&c, &e)), String::new(), None)
                    .await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

// ---------------------------------------------------------------- polls

/// One option of a poll with its count.
pub struct OptionView {
    pub index: usize,
    pub text: String,
    pub count: i64,
    pub percent: i64,
}

pub struct PollView {
    pub id: String,
    pub question: String,
    pub closes: String,
    pub closed: bool,
    pub voted: bool,
    pub may_vote: bool,
    pub show_results: bool,
    pub total: i64,
    pub options: Vec<OptionView>,
}

#[derive(Template)]
#[template(path = "voice/polls.html")]
struct PollsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    villages: Vec<(String, String)>,
    area: String,
    village: String,
    polls: Vec<PollView>,
    may_open: bool,
    staff: bool,
    question: String,
    options: String,
    closes_on: String,
}

async fn polls_page(
    st: &AppState,
    c: &Ctx,
    q: &AreaQuery,
    error: Option<String>,
    typed: Option<&PollForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let staff = a.can(Permission::DeliberationRead) || a.can(Permission::DeliberationOversee);
    let villages = if staff {
        staff_villages(st, c).await?
    } else {
        villages_with(st, c, Permission::SelfService).await?
    };
    let Some((area, village)) = chosen(&villages, &q.area) else {
        return Err(c.err(AppError::NotFound("area")));
    };
    let mut polls = Vec::new();
    for p in voice::polls(&st.core, a, &area)
        .await
        .map_err(|e| c.err(e))?
    {
        let r = voice::poll_results(&st.core, a, &p.id)
            .await
            .map_err(|e| c.err(e))?;
        let voter = a.scope(Permission::SelfService).contains(&area, None);
        let voted = voter
            && voice::has_voted(&st.core, a, &p.id)
                .await
                .map_err(|e| c.err(e))?;
        let closed = r.closed;
        polls.push(PollView {
            id: p.id.clone(),
            question: p.question.clone(),
            closes: clock::format_ms(p.closes_at),
            closed,
            voted,
            may_vote: voter && !closed && !voted,
            show_results: closed || voted || staff,
            total: r.total,
            options: p
                .options
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let count = r.counts.get(i).copied().unwrap_or(0);
                    OptionView {
                        index: i,
                        text: text.clone(),
                        count,
                        percent: if r.total > 0 {
                            count * 100 / r.total
                        } else {
                            0
                        },
                    }
                })
                .collect(),
        });
    }
    let failed = error.is_some();
    let mut r = render(
        c,
        PollsPage {
            c,
            flash: flash(c, &q.done),
            error,
            may_open: manages(a, &area),
            staff,
            villages,
            village,
            polls,
            question: typed.map(|t| t.question.clone()).unwrap_or_default(),
            options: typed.map(|t| t.options.clone()).unwrap_or_default(),
            closes_on: typed
                .map(|t| t.closes_on.clone())
                .unwrap_or_else(|| (clock::today() + chrono::Duration::days(7)).to_string()),
            area,
        },
    );
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `/polls`: the polls of a village; villagers vote, everyone sees results as bars after
/// voting or closing; cadres open new ones.
pub async fn polls(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, WebError> {
    polls_page(&st, &c, &q, None, None).await
}

#[derive(Deserialize)]
pub struct PollForm {
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub question: String,
    /// One option per line.
    #[serde(default)]
    pub options: String,
    /// The last day votes are taken (`YYYY-MM-DD`, China Standard Time).
    #[serde(default)]
    pub closes_on: String,
}

/// The end of a day in China Standard Time, as UTC milliseconds.
fn end_of_day_cst(d: NaiveDate) -> Option<i64> {
    let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(next.and_utc().timestamp_millis() - 8 * 3_600_000)
}

/// POST `/polls`: a cadre opens a consultative poll.
pub async fn open_poll(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<PollForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let closes_at = NaiveDate::parse_from_str(f.closes_on.trim(), "%Y-%m-%d")
        .ok()
        .and_then(end_of_day_cst)
        .unwrap_or(0);
    let input = NewPoll {
        area_code: f.area_code.clone(),
        question: f.question.clone(),
        options: f.options.lines().map(str::to_string).collect(),
        closes_at,
    };
    let q = AreaQuery {
        area: f.area_code.clone(),
        done: String::new(),
    };
    match voice::open_poll(&st.core, a, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/polls?area={}&done=opened",
            area_param(&f.area_code)
        ))
        .into_response()),
        Err(e @ AppError::Validation(_)) => {
            polls_page(&st, &c, &q, Some(error_text(&c, &e)), Some(&f)).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct VoteForm {
    pub csrf: String,
    #[serde(default)]
    pub option: String,
    #[serde(default)]
    pub area: String,
}

/// POST `/polls/{id}/vote`: one vote per villager; a second one is refused and said so.
pub async fn vote(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<VoteForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let result = match f.option.trim().parse::<usize>() {
        Ok(i) => voice::vote(&st.core, a, &id, i).await,
        Err(_) => Err(AppError::field("option", "required")),
    };
    let q = AreaQuery {
        area: f.area.clone(),
        done: String::new(),
    };
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/polls?area={}&done=voted", area_param(&f.area)))
                .into_response(),
        ),
        Err(
            e @ (AppError::Validation(_)
            | AppError::InvalidTransition(_)
            | AppError::Conflict { .. }),
        ) => {
            let status = crate::error::status_of(&e);
            let mut r = polls_page(&st, &c, &q, Some(error_text(&c, &e)), None).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(c.err(e)),
    }
}

// ---------------------------------------------------------------- bylaws

/// A clause flagged under R-CV-1.
pub struct FlagView {
    pub number: usize,
    pub text: String,
    pub words: String,
}

pub struct BylawView {
    pub id: String,
    pub version: i64,
    pub status: &'static str,
    pub badge: &'static str,
    pub hash: String,
    pub text: String,
    pub matter_id: String,
    pub adopted: String,
    pub filed_on: String,
    pub reviewed: String,
    pub review_reason: String,
    pub flags: Vec<FlagView>,
    pub may_file: bool,
    pub may_review: bool,
}

#[derive(Template)]
#[template(path = "voice/bylaws.html")]
struct BylawsPage<'a> {
    c: &'a Ctx,
    flash: Option<String>,
    error: Option<String>,
    villages: Vec<(String, String)>,
    area: String,
    village: String,
    versions: Vec<BylawView>,
    may_adopt: bool,
    staff: bool,
    text: String,
    matter_id: String,
    today: String,
}

async fn bylaws_page(
    st: &AppState,
    c: &Ctx,
    q: &AreaQuery,
    error: Option<String>,
    typed: Option<&AdoptForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    let staff = a.can(Permission::DeliberationRead) || a.can(Permission::DeliberationOversee);
    let villages = if staff {
        staff_villages(st, c).await?
    } else {
        villages_with(st, c, Permission::SelfService).await?
    };
    let Some((area, village)) = chosen(&villages, &q.area) else {
        return Err(c.err(AppError::NotFound("area")));
    };
    let township = township_of(a, &area);
    let mut versions = Vec::new();
    let mut list = voice::bylaws(&st.core, a, &area)
        .await
        .map_err(|e| c.err(e))?;
    list.sort_by_key(|b| std::cmp::Reverse(b.version));
    for b in list {
        // At review the township sees the flags computed afresh; others see those recorded.
        let flags = if township && b.status.as_str() == "filed" {
            voice::bylaw_for_review(&st.core, a, &b.id)
                .await
                .map(|(_, f)| f)
                .unwrap_or_else(|_| b.flags.clone())
        } else {
            b.flags.clone()
        };
        let status = b.status.as_str();
        versions.push(BylawView {
            id: b.id.clone(),
            version: b.version,
            status,
            badge: match status {
                "approved" => "success",
                "correction_ordered" => "danger",
                "filed" => "info",
                _ => "warning",
            },
            hash: b.text_hash.clone(),
            text: b.text.clone(),
            matter_id: b.matter_id.clone().unwrap_or_default(),
            adopted: clock::format_ms(b.created_at),
            filed_on: b.filed_on.clone().unwrap_or_default(),
            reviewed: b.reviewed_at.map(clock::format_ms).unwrap_or_default(),
            review_reason: b.review_reason.clone().unwrap_or_default(),
            flags: flags
                .into_iter()
                .map(|f| FlagView {
                    number: f.number,
                    text: f.text,
                    words: f
                        .entitlements
                        .iter()
                        .chain(f.verbs.iter())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("、"),
                })
                .collect(),
            may_file: township && status == "adopted",
            may_review: township && status == "filed",
        });
    }
    let failed = error.is_some();
    let mut r = render(
        c,
        BylawsPage {
            c,
            flash: flash(c, &q.done),
            error,
            may_adopt: manages(a, &area),
            staff,
            villages,
            village,
            versions,
            text: typed.map(|t| t.text.clone()).unwrap_or_default(),
            matter_id: typed.map(|t| t.matter_id.clone()).unwrap_or_default(),
            today: clock::today().to_string(),
            area,
        },
    );
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `/bylaws`: the versions of a village's bylaws with their hash, filing and review.
pub async fn bylaws(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, WebError> {
    bylaws_page(&st, &c, &q, None, None).await
}

#[derive(Deserialize)]
pub struct AdoptForm {
    pub csrf: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub matter_id: String,
}

/// POST `/bylaws`: record a version adopted by the villagers' assembly.
pub async fn adopt(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<AdoptForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let input = NewBylaw {
        area_code: f.area_code.clone(),
        text: f.text.clone(),
        matter_id: Some(f.matter_id.clone()).filter(|m| !m.trim().is_empty()),
    };
    match voice::adopt_bylaw(&st.core, a, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/bylaws?area={}&done=adopted",
            area_param(&f.area_code)
        ))
        .into_response()),
        Err(e @ AppError::Validation(_)) => {
            let q = AreaQuery {
                area: f.area_code.clone(),
                done: String::new(),
            };
            bylaws_page(&st, &c, &q, Some(error_text(&c, &e)), Some(&f)).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct FileForm {
    pub csrf: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub filed_on: String,
}

/// POST `/bylaws/{id}/file`: the township records the filing (备案) it received.
pub async fn file(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FileForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let result = match NaiveDate::parse_from_str(f.filed_on.trim(), "%Y-%m-%d") {
        Ok(d) => voice::file_bylaw(&st.core, a, &id, d).await,
        Err(_) => Err(AppError::field("filed_on", "invalid")),
    };
    let q = AreaQuery {
        area: f.area.clone(),
        done: String::new(),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/bylaws?area={}&done=filed", area_param(&f.area)))
                .into_response(),
        ),
        Err(e @ (AppError::Validation(_) | AppError::InvalidTransition(_))) => {
            bylaws_page(&st, &c, &q, Some(error_text(&c, &e)), None).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    pub csrf: String,
    #[serde(default)]
    pub area: String,
    /// `approved` or `correction_ordered`.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
}

/// POST `/bylaws/{id}/review`: the township's legality review, approved or corrected with a
/// reason.
pub async fn review(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let a = c.actor()?;
    c.check_csrf(&f.csrf)?;
    let result = match f.outcome.as_str() {
        "approved" => voice::review_bylaw(&st.core, a, &id, &Review::Approved).await,
        "correction_ordered" => {
            voice::review_bylaw(
                &st.core,
                a,
                &id,
                &Review::CorrectionOrdered {
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        _ => Err(AppError::field("outcome", "not_in_list")),
    };
    let q = AreaQuery {
        area: f.area.clone(),
        done: String::new(),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/bylaws?area={}&done=reviewed",
            area_param(&f.area)
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::InvalidTransition(_))) => {
            bylaws_page(&st, &c, &q, Some(error_text(&c, &e)), None).await
        }
        Err(e) => Err(c.err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_closes_at_the_end_of_its_last_day_in_china() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        // 2026-12-01 00:00 CST = 2026-11-30 16:00 UTC.
        assert_eq!(end_of_day_cst(d), Some(1_796_054_400_000));
    }
}
