//! 民主评议: the supervisory committee opens the year's appraisal of the village's cadres
//! with the representatives as evaluators, ballots are cast by the evaluators from their
//! phones or entered from paper by the committee, and the close gives each cadre a verdict
//! and flags the second 不称职 in a row (组织法 §33).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::json;

use super::rules::{self, Grade};
use super::store::{self, Appraisal, Subject};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult, FieldError};
use crate::{clock, Core};

/// A cadre to appraise and their post.
#[derive(Debug, Clone)]
pub struct NewSubject {
    pub person_id: String,
    /// 村委会主任, 委员, 报账员 …
    pub post: String,
}

/// The appraisal of a village's cadres for a year.
#[derive(Debug, Clone)]
pub struct NewAppraisal {
    pub area_code: String,
    pub year: i64,
    pub subjects: Vec<NewSubject>,
}

fn is_village(code: &str) -> bool {
    code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit()) && !code.ends_with("000")
}

/// Open the appraisal: the cadres named, the evaluators drafted from the registry (the
/// village's representatives who are not cadres). Hosted by the supervisory committee.
pub async fn open(core: &Core, actor: &Actor, n: NewAppraisal, now: i64) -> AppResult<Appraisal> {
    if !is_village(&n.area_code) {
        return Err(AppError::field("area_code", "invalid"));
    }
    actor.require(Permission::DisclosureReview, &n.area_code, None)?;
    let this_year = i64::from(clock::year_of(now));
    let mut errs = Vec::new();
    if n.year < 2000 || n.year > this_year {
        errs.push(FieldError::new("year", "invalid"));
    }
    let mut tx = core.db.write.begin().await?;
    let cadres: HashMap<String, String> = store::cadres(&mut tx, &n.area_code)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut subjects = Vec::new();
    if n.subjects.is_empty() {
        errs.push(FieldError::new("subjects", "required"));
    }
    for s in &n.subjects {
        let post = crate::deliberation::rules::clean(&s.post);
        match cadres.get(&s.person_id) {
            None => errs.push(FieldError::new("subjects", "not_a_cadre")),
            Some(_) if !seen.insert(s.person_id.clone()) => {
                errs.push(FieldError::new("subjects", "duplicate"));
            }
            Some(_) if post.is_empty() => errs.push(FieldError::new("post", "required")),
            Some(_) if post.chars().count() > 30 => errs.push(FieldError::new("post", "too_long")),
            Some(name) => subjects.push((s.person_id.clone(), name.clone(), post)),
        }
    }
    if !errs.is_empty() {
        errs.dedup_by(|a, b| a.field == b.field && a.code == b.code);
        return Err(AppError::Validation(errs));
    }
    let evaluators = store::representatives(&mut tx, &n.area_code).await?;
    if evaluators.is_empty() {
        return Err(AppError::InvalidTransition("no_evaluators"));
    }
    let county = crate::areas::code::county_of(&n.area_code);
    let a = Appraisal {
        id: clock::new_id(),
        county_code: county.clone(),
        area_code: n.area_code.clone(),
        year: n.year,
        status: "open".into(),
        evaluators: i64::try_from(evaluators.len()).unwrap_or(i64::MAX),
        ballots: 0,
        valid: None,
        created_by: actor.display_name.clone(),
        created_at: now,
        closed_at: None,
    };
    store::insert(&mut tx, &a).await?;
    for (id, name, post) in &subjects {
        store::insert_subject(&mut tx, &a.id, &county, id, name, post).await?;
    }
    for (id, name) in &evaluators {
        store::insert_evaluator(&mut tx, &a.id, &county, id, name).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("appraisal.open", "appraisal", &a.id)
            .area(&a.area_code)
            .after(json!({"year": a.year, "evaluators": a.evaluators,
                "subjects": subjects.iter().map(|s| json!({"person": s.0, "post": s.2})).collect::<Vec<_>>()})),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// Cast one evaluator's ballot: a grade for every cadre. Without `on_behalf` the actor casts
/// their own; with it the supervisory committee enters a paper ballot handed in by that
/// evaluator. Either way only the tallies change and the evaluator is marked as having
/// taken part: nothing records who gave which grade.
pub async fn cast(
    core: &Core,
    actor: &Actor,
    id: &str,
    on_behalf: Option<&str>,
    grades: &[(String, Grade)],
    now: i64,
) -> AppResult<()> {
    let mut tx = core.db.write.begin().await?;
    let a = store::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("appraisal"))?;
    let person = match on_behalf {
        Some(p) => {
            if !actor
                .scope(Permission::DeliberationRead)
                .covers_area(&a.area_code)
            {
                return Err(AppError::NotFound("appraisal"));
            }
            actor.require(Permission::DisclosureReview, &a.area_code, None)?;
            p.to_string()
        }
        None => {
            let p = actor.person_id.clone().ok_or(AppError::Forbidden)?;
            if !store::is_evaluator(&mut tx, &a.id, &p).await?
                && !actor
                    .scope(Permission::DeliberationRead)
                    .covers_area(&a.area_code)
            {
                return Err(AppError::NotFound("appraisal"));
            }
            p
        }
    };
    if a.status != "open" {
        return Err(AppError::InvalidTransition("appraisal_closed"));
    }
    if !store::is_evaluator(&mut tx, &a.id, &person).await? {
        return Err(AppError::InvalidTransition("not_an_evaluator"));
    }
    let subjects: HashSet<String> = store::subjects(&mut tx, &a.id)
        .await?
        .into_iter()
        .map(|s| s.person_id)
        .collect();
    let given: HashSet<String> = grades.iter().map(|g| g.0.clone()).collect();
    if given != subjects || grades.len() != subjects.len() {
        return Err(AppError::field("grades", "grade_every_cadre"));
    }
    if !store::mark_voted(&mut tx, &a.id, &person, now).await? {
        return Err(AppError::InvalidTransition("already_appraised"));
    }
    for (subject, g) in grades {
        store::bump(&mut tx, &a.id, subject, *g).await?;
    }
    store::bump_ballots(&mut tx, &a.id).await?;
    // The audit record says that a ballot was cast, never which grades.
    audit::record(
        &mut tx,
        actor,
        Entry::new("appraisal.ballot", "appraisal", &a.id)
            .area(&a.area_code)
            .detail(if on_behalf.is_some() { "paper" } else { "own" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Close the appraisal: valid when more than half of the evaluators took part; each cadre's
/// verdict is the median grade; a second 不称职 in a row (last year's appraisal of the same
/// village) is flagged as ending the office.
pub async fn close(core: &Core, actor: &Actor, id: &str, now: i64) -> AppResult<AppraisalView> {
    let mut tx = core.db.write.begin().await?;
    let a = store::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound("appraisal"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&a.area_code)
    {
        return Err(AppError::NotFound("appraisal"));
    }
    actor.require(Permission::DisclosureReview, &a.area_code, None)?;
    if a.status != "open" {
        return Err(AppError::InvalidTransition("appraisal_closed"));
    }
    let valid = rules::valid(a.ballots, a.evaluators);
    let previous: HashMap<String, Option<Grade>> =
        match store::of_year(&mut tx, &a.area_code, a.year - 1).await? {
            Some(p) if p.valid == Some(true) => store::subjects(&mut tx, &p.id)
                .await?
                .into_iter()
                .map(|s| (s.person_id, s.verdict))
                .collect(),
            _ => HashMap::new(),
        };
    let mut results = Vec::new();
    for s in store::subjects(&mut tx, &a.id).await? {
        let verdict = if valid {
            rules::verdict(&s.tally)
        } else {
            None
        };
        let ends = rules::terminates(previous.get(&s.person_id).copied().flatten(), verdict);
        store::set_verdict(&mut tx, &a.id, &s.person_id, verdict, ends).await?;
        results.push(json!({"person": s.person_id, "tally": s.tally,
            "verdict": verdict.map(Grade::as_str), "terminates": ends}));
    }
    if !store::close(&mut tx, &a.id, valid, now).await? {
        return Err(AppError::InvalidTransition("appraisal_closed"));
    }
    audit::record(
        &mut tx,
        actor,
        Entry::new("appraisal.close", "appraisal", &a.id)
            .area(&a.area_code)
            .after(
                json!({"ballots": a.ballots, "evaluators": a.evaluators, "valid": valid,
                "results": results}),
            ),
    )
    .await?;
    tx.commit().await?;
    get(core, actor, id).await
}

/// An appraisal as its reader sees it. While it is open the tallies are hidden (all zero) so
/// that no running count sways the evaluators still to come.
#[derive(Debug, Clone, Serialize)]
pub struct AppraisalView {
    pub appraisal: Appraisal,
    pub subjects: Vec<Subject>,
    /// For an evaluator reading it: whether they have taken part.
    pub voted: Option<bool>,
}

/// An appraisal, to staff of the village's areas and to its evaluators.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> AppResult<AppraisalView> {
    let mut c = core.db.read.acquire().await?;
    let a = store::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound("appraisal"))?;
    let evaluator = match &actor.person_id {
        Some(p) => store::is_evaluator(&mut c, &a.id, p).await?,
        None => false,
    };
    if !evaluator
        && !actor
            .scope(Permission::DeliberationRead)
            .covers_area(&a.area_code)
    {
        return Err(AppError::NotFound("appraisal"));
    }
    let mut subjects = store::subjects(&mut c, &a.id).await?;
    if a.status == "open" {
        for s in &mut subjects {
            s.tally = rules::Tally::default();
        }
    }
    let voted = match (&actor.person_id, evaluator) {
        (Some(p), true) => Some(store::has_voted(&mut c, &a.id, p).await?),
        _ => None,
    };
    Ok(AppraisalView {
        appraisal: a,
        subjects,
        voted,
    })
}

/// The appraisals of the actor's areas, latest year first.
pub async fn list(core: &Core, actor: &Actor, limit: i64) -> AppResult<Vec<Appraisal>> {
    let scope = actor.require_any(Permission::DeliberationRead)?;
    let limit = limit.clamp(1, 500);
    let mut c = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for p in &scope.prefixes {
        out.extend(store::list(&mut c, p, limit).await?);
    }
    out.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then_with(|| a.area_code.cmp(&b.area_code))
    });
    out.truncate(usize::try_from(limit).unwrap_or(500));
    Ok(out)
}

/// The registered cadres of a village, for the committee opening an appraisal: (id, name).
pub async fn cadres(core: &Core, actor: &Actor, village: &str) -> AppResult<Vec<(String, String)>> {
    actor.require(Permission::DisclosureReview, village, None)?;
    let mut c = core.db.read.acquire().await?;
    store::cadres(&mut c, village).await
}

/// The evaluators' list with who has taken part, to the village's staff.
pub async fn evaluators(
    core: &Core,
    actor: &Actor,
    id: &str,
) -> AppResult<Vec<(String, String, bool)>> {
    let mut c = core.db.read.acquire().await?;
    let a = store::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound("appraisal"))?;
    if !actor
        .scope(Permission::DeliberationRead)
        .covers_area(&a.area_code)
    {
        return Err(AppError::NotFound("appraisal"));
    }
    store::evaluators(&mut c, &a.id).await
}

/// Open appraisals the actor is an evaluator of.
pub async fn mine(core: &Core, actor: &Actor) -> AppResult<Vec<Appraisal>> {
    let Some(person) = &actor.person_id else {
        return Ok(Vec::new());
    };
    let mut c = core.db.read.acquire().await?;
    store::open_for(&mut c, person).await
}
