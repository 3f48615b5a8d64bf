//! 人民调解 on dispute cases (`domain-spec.md` §10.4): consent of both parties (no mediation
//! when either refuses, §17), sessions, a written agreement that takes effect only when the
//! parties and the mediator have signed (§29), the 30-day deadline to apply for court
//! confirmation with reminders at T−7 and T−2 days (§33, R-MED-1).
//!
//! Each call is one transaction with its timeline entry and audit record, like every other
//! transition of a case.

use super::model::*;
use super::rules::{clean_text, days};
use super::store::{self, Mediation, NotificationRow};
use crate::audit::{self, Entry};
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// Days after the agreement within which both parties may apply for court confirmation.
pub const CONFIRM_DAYS: i64 = 30;
/// Reminders before that deadline, in days (CONFIG default T−7 and T−2).
pub const REMINDERS: [(i64, i64); 2] = [(7, 1), (2, 2)];

/// One of the two sides of a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    A,
    B,
}

/// A step of the mediation.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A party agrees to mediation, or refuses it.
    Consent { party: Party, consent: bool },
    /// A mediation session took place.
    Session { note: String },
    /// The written agreement; effective only when every party and the mediator signed.
    Agreement {
        text: String,
        parties_signed: bool,
        mediator_signed: bool,
    },
}

/// Pure: what a step does to the mediation record and the case, or why it cannot happen.
pub fn apply_step(
    case: &Case,
    m: &mut Mediation,
    step: &Step,
    now: i64,
) -> Result<(Option<Status>, String), &'static str> {
    if case.category != Category::Dispute {
        return Err("not_a_dispute");
    }
    if !case.status.is_open() || matches!(case.status, Status::Handled | Status::Verified) {
        return Err("invalid_transition");
    }
    match step {
        Step::Consent { party, consent } => {
            match party {
                Party::A => m.consent_a = Some(*consent),
                Party::B => m.consent_b = Some(*consent),
            }
            if !consent {
                // §17: no mediation once a party refuses; §26: tell them the other channels.
                return Ok((
                    Some(Status::Closed),
                    "一方当事人明确拒绝调解，已告知可通过仲裁、行政或司法途径解决。".into(),
                ));
            }
            Ok((None, String::new()))
        }
        Step::Session { note } => {
            if m.consent_a != Some(true) || m.consent_b != Some(true) {
                return Err("consent_missing");
            }
            let note = clean_text(note);
            if note.chars().count() < 2 {
                return Err("reason_required");
            }
            m.sessions += 1;
            let to = matches!(case.status, Status::Dispatched | Status::Accepted)
                .then_some(Status::InProgress);
            Ok((to, note))
        }
        Step::Agreement {
            text,
            parties_signed,
            mediator_signed,
        } => {
            if m.consent_a != Some(true) || m.consent_b != Some(true) {
                return Err("consent_missing");
            }
            let text = clean_text(text);
            if text.chars().count() < 10 {
                return Err("agreement_required");
            }
            if text.chars().count() > super::rules::MAX_DESCRIPTION {
                return Err("too_long");
            }
            if !parties_signed || !mediator_signed {
                return Err("agreement_unsigned");
            }
            m.agreement = Some(text);
            m.agreement_at = Some(now);
            m.confirm_due = Some(now + days(CONFIRM_DAYS));
            m.reminder_stage = 0;
            Ok((
                Some(Status::Handled),
                "调解协议已签订生效；双方可在 30 日内共同申请司法确认。".into(),
            ))
        }
    }
}

fn step_error(code: &'static str) -> AppError {
    match code {
        "reason_required" => AppError::field("note", code),
        "agreement_required" | "too_long" => AppError::field("text", code),
        "agreement_unsigned" => AppError::field("signatures", code),
        _ => AppError::InvalidTransition(code),
    }
}

/// Record a mediation step on a dispute case (the mediator, or staff who handle the case).
pub async fn record(core: &Core, actor: &Actor, case_id: &str, step: Step) -> AppResult<Mediation> {
    let mut tx = core.db.write.begin().await?;
    let mut c = store::get_tx(&mut tx, case_id)
        .await?
        .ok_or(AppError::NotFound("case"))?;
    let scope = actor.scope(Permission::CaseHandle);
    if !actor.is_system() && !scope.contains(&c.area_code, c.grid_code.as_deref()) {
        if actor
            .scope(Permission::CaseRead)
            .contains(&c.area_code, c.grid_code.as_deref())
        {
            return Err(AppError::Forbidden);
        }
        return Err(AppError::NotFound("case"));
    }
    let mut m = store::mediation(&mut tx, case_id)
        .await?
        .unwrap_or(Mediation {
            case_id: case_id.to_string(),
            ..Mediation::default()
        });
    let now = clock::now_ms();
    let (to, note) = apply_step(&c, &mut m, &step, now).map_err(step_error)?;
    let before = c.status;
    if let Some(to) = to {
        c.status = to;
        match to {
            Status::Closed => {
                c.closed_at = Some(now);
                c.public_note = Some(note.clone());
            }
            Status::Handled => {
                c.handler_user_id = Some(actor.user_id.clone());
                c.handled_at = Some(now);
                c.public_note = Some(note.clone());
            }
            _ => {}
        }
    }
    if c.assignee_user_id.is_none() && !actor.user_id.is_empty() {
        c.assignee_user_id = Some(actor.user_id.clone());
    }
    c.updated_at = now;
    store::update_case(&mut tx, &c).await?;
    store::put_mediation(&mut tx, &c.county_code, &m, now).await?;
    let action = match step {
        Step::Consent { .. } => "case.mediation_consent",
        Step::Session { .. } => "case.mediation_session",
        Step::Agreement { .. } => "case.mediation_agreement",
    };
    let note = match &step {
        Step::Consent { party, consent } => {
            format!(
                "{}{}",
                if *party == Party::A {
                    "甲方"
                } else {
                    "乙方"
                },
                if *consent {
                    "同意调解"
                } else {
                    "拒绝调解"
                }
            ) + if note.is_empty() { "" } else { "。" }
                + &note
        }
        _ => note,
    };
    let public = !matches!(step, Step::Session { .. });
    super::service::record_step(
        &mut tx,
        actor,
        &c,
        super::service::Step {
            action,
            before,
            note,
            public,
            detail: None,
        },
        now,
    )
    .await?;
    if let Some(u) = &c.reporter_user_id {
        store::insert_notifications(
            &mut tx,
            &[NotificationRow {
                id: clock::new_id(),
                county_code: c.county_code.clone(),
                user_id: Some(u.clone()),
                role: None,
                area_code: None,
                case_id: Some(c.id.clone()),
                kind: "case.update".into(),
                body: c.number.clone(),
                created_at: now,
            }],
        )
        .await?;
    }
    tx.commit().await?;
    core.cases_changed();
    Ok(m)
}

/// The mediation record of a case the actor may read.
pub async fn get(core: &Core, actor: &Actor, case_id: &str) -> AppResult<Option<Mediation>> {
    super::service::get(core, actor, case_id).await?;
    store::mediation_read(&core.db, case_id).await
}

/// Remind the mediator and the reporter of the court-confirmation deadline at T−7 and T−2
/// days (R-MED-1). Returns the reminders sent.
pub async fn remind(core: &Core, now: i64) -> AppResult<usize> {
    let mut sent = 0;
    for (days_before, stage) in REMINDERS {
        let mut tx = core.db.write.begin().await?;
        let due = store::confirmations_due(&mut tx, now, days(days_before), stage).await?;
        if due.is_empty() {
            continue;
        }
        let mut notes = Vec::new();
        let system = Actor::system("mediation");
        let mut entries = Vec::new();
        for (mut m, county, handler, reporter) in due {
            for u in [handler, reporter].into_iter().flatten() {
                notes.push(NotificationRow {
                    id: clock::new_id(),
                    county_code: county.clone(),
                    user_id: Some(u),
                    role: None,
                    area_code: None,
                    case_id: Some(m.case_id.clone()),
                    kind: format!("mediation.confirm_t{days_before}"),
                    body: String::new(),
                    created_at: now,
                });
            }
            m.reminder_stage = stage;
            store::put_mediation(&mut tx, &county, &m, now).await?;
            entries.push(m.case_id.clone());
            sent += 1;
        }
        store::insert_notifications(&mut tx, &notes).await?;
        let list = entries
            .iter()
            .map(|id| {
                (
                    &system,
                    Entry::new("case.mediation_reminder", "case", id)
                        .detail(format!("T-{days_before}")),
                )
            })
            .collect();
        audit::record_many(&mut tx, list).await?;
        tx.commit().await?;
    }
    Ok(sent)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dispute() -> Case {
        Case {
            id: "c".into(),
            number: "2026-000001".into(),
            county_code: "130123000000".into(),
            type_code: "dispute_neighbour".into(),
            category: Category::Dispute,
            area_code: "130123101201".into(),
            status: Status::Dispatched,
            source: "app".into(),
            ..super::super::store::blank_case()
        }
    }

    #[test]
    fn no_mediation_without_both_consents() {
        let c = dispute();
        let mut m = Mediation::default();
        let session = Step::Session {
            note: "双方到场".into(),
        };
        assert_eq!(apply_step(&c, &mut m, &session, 0), Err("consent_missing"));
        apply_step(
            &c,
            &mut m,
            &Step::Consent {
                party: Party::A,
                consent: true,
            },
            0,
        )
        .unwrap();
        assert_eq!(apply_step(&c, &mut m, &session, 0), Err("consent_missing"));
        let (to, note) = apply_step(
            &c,
            &mut m,
            &Step::Consent {
                party: Party::B,
                consent: false,
            },
            0,
        )
        .unwrap();
        assert_eq!(to, Some(Status::Closed));
        assert!(note.contains("仲裁"), "the other channels are named");
    }

    #[test]
    fn agreement_needs_every_signature_and_sets_the_confirmation_deadline() {
        let c = dispute();
        let mut m = Mediation {
            consent_a: Some(true),
            consent_b: Some(true),
            ..Mediation::default()
        };
        let unsigned = Step::Agreement {
            text: "甲方退让半米，乙方补偿五百元，七日内履行。".into(),
            parties_signed: true,
            mediator_signed: false,
        };
        assert_eq!(
            apply_step(&c, &mut m, &unsigned, 5),
            Err("agreement_unsigned")
        );
        let signed = Step::Agreement {
            text: "甲方退让半米，乙方补偿五百元，七日内履行。".into(),
            parties_signed: true,
            mediator_signed: true,
        };
        let (to, _) = apply_step(&c, &mut m, &signed, 5).unwrap();
        assert_eq!(to, Some(Status::Handled));
        assert_eq!(m.confirm_due, Some(5 + days(30)));
        let mut other = dispute();
        other.category = Category::Report;
        assert_eq!(apply_step(&other, &mut m, &signed, 5), Err("not_a_dispute"));
    }
}
