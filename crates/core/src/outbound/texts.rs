//! Text messages: the reporter hears when their case is accepted, rejected, handled and
//! closed; staff who want it hear of each inbox notice at once; people on duty always hear
//! of an emergency. Messages are queued in an outbox (never sent inside a case's
//! transaction) and sent through `Core::sms` by the sweeper, with retries.
//!
//! No phone number is copied into the outbox: a message names where the encrypted number is
//! (the registry person of the account, or the phone a reporter left on the case), and it is
//! decrypted only at the moment of sending. Numbers are never logged.

use std::collections::HashMap;

use super::rules::{self, Channel, Mode};
use super::store::{self, Contact, NewSms};
use crate::error::AppResult;
use crate::{clock, Core};

/// Timeline entries or notices read per run.
pub const DISPATCH_BATCH: i64 = 500;
/// Messages sent per run.
pub const SEND_BATCH: i64 = 20;

const CURSOR_CASES: &str = "sms.case";
const CURSOR_NOTICES: &str = "sms.notices";

/// Users, their preferences and phones, read once per run.
#[derive(Default)]
pub(crate) struct People {
    contacts: HashMap<String, Option<Contact>>,
    prefs: HashMap<String, Vec<(String, String)>>,
}

impl People {
    pub(crate) async fn contact(&mut self, core: &Core, user: &str) -> AppResult<Option<Contact>> {
        if let Some(c) = self.contacts.get(user) {
            return Ok(c.clone());
        }
        let c = store::contact(&core.db, user).await?;
        self.contacts.insert(user.to_string(), c.clone());
        Ok(c)
    }

    /// The mode a user has for a channel (their choice, or the default).
    pub(crate) async fn mode(&mut self, core: &Core, c: &Contact, ch: Channel) -> AppResult<Mode> {
        if !self.prefs.contains_key(&c.user_id) {
            let p = store::prefs(&core.db, &c.user_id).await?;
            self.prefs.insert(c.user_id.clone(), p);
        }
        let chosen = self.prefs.get(&c.user_id).and_then(|p| {
            p.iter()
                .find(|(k, _)| k == ch.as_str())
                .and_then(|(_, m)| Mode::parse(m))
        });
        Ok(chosen.unwrap_or_else(|| ch.default_mode(c.staff)))
    }
}

/// Queue the texts reporters get about their cases, per county, from the timeline after the
/// cursor (entries at least [`rules::LAG_MS`] old, none older than
/// [`rules::SMS_MAX_AGE_MS`]). A reporter with an account hears on the phone of their
/// registry record, as their preference says (default: at once); a reporter without one on
/// the phone they left on the case. Anonymous cases send nothing.
pub async fn dispatch_case_states(core: &Core, now: i64) -> AppResult<usize> {
    let until = now - rules::LAG_MS;
    let floor = now - rules::SMS_MAX_AGE_MS;
    let mut people = People::default();
    let mut queued = 0;
    for county in store::counties(&core.db).await? {
        let stored = store::cursor(&core.db, CURSOR_CASES, &county).await?;
        let from = match &stored {
            Some((at, id)) if *at >= floor => (*at, id.clone()),
            _ => (floor, String::new()),
        };
        let rows = store::events_after(&core.db, &county, (from.0, &from.1), until, DISPATCH_BATCH)
            .await?;
        let Some(last) = rows.last() else { continue };
        let mut out = Vec::new();
        for r in &rows {
            if r.anonymous {
                continue;
            }
            let Some(text) = rules::case_state_text(&r.number, r.from, r.to) else {
                continue;
            };
            let mut to = None;
            let mut user_id = None;
            if let Some(u) = &r.reporter_user_id {
                if let Some(c) = people.contact(core, u).await? {
                    // Staff who typed a case in for someone are not its reporter.
                    if c.active && !c.staff {
                        if people.mode(core, &c, Channel::CaseUpdates).await? != Mode::Immediate {
                            continue;
                        }
                        user_id = Some(c.user_id.clone());
                        to = c.person_with_phone.clone().map(|p| ("person", p));
                    }
                }
            }
            if to.is_none() && r.has_reporter_phone {
                to = Some(("case_reporter", r.case_id.clone()));
            }
            let Some((to_kind, to_ref)) = to else {
                continue;
            };
            out.push(NewSms {
                id: clock::new_id(),
                county_code: county.clone(),
                kind: "case_state".into(),
                to_kind,
                to_ref,
                user_id,
                text,
                created_at: now,
            });
        }
        let mut tx = core.db.write.begin().await?;
        store::insert_sms(&mut tx, &out).await?;
        let old = stored.as_ref().map(|(at, id)| (*at, id.as_str()));
        if !store::move_cursor(
            &mut tx,
            CURSOR_CASES,
            &county,
            old,
            (last.at, &last.id),
            now,
        )
        .await?
        {
            tx.rollback().await?;
            continue;
        }
        tx.commit().await?;
        queued += out.len();
    }
    Ok(queued)
}

/// Queue a text for each new inbox notice to the users who want notices at once (their
/// choice; staff default to the daily digest). Emergencies are never held for the digest:
/// people on duty get them whatever they chose, others unless they switched texts off.
/// Notices about a reporter's own case are left to [`dispatch_case_states`].
pub async fn dispatch_notices(core: &Core, now: i64) -> AppResult<usize> {
    let before = rules::id_bound(now - rules::LAG_MS);
    let floor = rules::id_bound(now - rules::SMS_MAX_AGE_MS);
    let stored = store::cursor(&core.db, CURSOR_NOTICES, "").await?;
    let after = match &stored {
        Some((_, id)) if *id >= floor => id.clone(),
        _ => floor,
    };
    let rows = store::notices_after(&core.db, &after, &before, DISPATCH_BATCH).await?;
    let Some(last) = rows.last() else {
        return Ok(0);
    };
    let mut people = People::default();
    let mut out = Vec::new();
    let mut holders: HashMap<(String, String), Vec<String>> = HashMap::new();
    // One text per person, kind and case in a run, however many ways the notice reached
    // them (on duty and as a cadre of the village).
    let mut seen: std::collections::HashSet<(String, String, String)> =
        std::collections::HashSet::new();
    for n in &rows {
        if n.kind == "case.update" || n.kind == rules::KIND_DIGEST {
            continue;
        }
        let emergency = rules::is_emergency(&n.kind);
        let (users, direct) = match (&n.user_id, &n.role, &n.area_code) {
            (Some(u), _, _) => (vec![u.clone()], true),
            (None, Some(role), Some(area)) => {
                let key = (role.clone(), area.clone());
                if !holders.contains_key(&key) {
                    let h = store::holders(&core.db, role, area).await?;
                    holders.insert(key.clone(), h);
                }
                (holders.get(&key).cloned().unwrap_or_default(), false)
            }
            _ => continue,
        };
        // The body of a notice about a case is its number.
        let number = n.case_id.as_ref().map(|_| n.body.as_str());
        for u in users {
            let Some(c) = people.contact(core, &u).await? else {
                continue;
            };
            let Some(person) = c.person_with_phone.clone().filter(|_| c.active) else {
                continue;
            };
            let mode = people.mode(core, &c, Channel::Notices).await?;
            let send = if emergency && direct {
                true
            } else if emergency {
                mode != Mode::Off
            } else {
                mode == Mode::Immediate
            };
            let about = n.case_id.clone().unwrap_or_else(|| n.id.clone());
            if !send || !seen.insert((c.user_id.clone(), n.kind.clone(), about)) {
                continue;
            }
            out.push(NewSms {
                id: clock::new_id(),
                county_code: n.county_code.clone(),
                kind: if emergency { "emergency" } else { "notice" }.into(),
                to_kind: "person",
                to_ref: person,
                user_id: Some(c.user_id.clone()),
                text: rules::notice_text(&n.kind, number),
                created_at: now,
            });
        }
    }
    let mut tx = core.db.write.begin().await?;
    store::insert_sms(&mut tx, &out).await?;
    let old = stored.as_ref().map(|(at, id)| (*at, id.as_str()));
    if !store::move_cursor(&mut tx, CURSOR_NOTICES, "", old, (0, &last.id), now).await? {
        tx.rollback().await?;
        return Ok(0);
    }
    tx.commit().await?;
    Ok(out.len())
}

fn aad_for(to_kind: &str, to_ref: &str) -> Option<Vec<u8>> {
    match to_kind {
        "person" => Some(crate::people::service::phone_aad(to_ref)),
        "case_reporter" => Some(crate::cases::service::reporter_phone_aad(to_ref)),
        _ => None,
    }
}

/// Send the messages that are due, oldest first, up to [`SEND_BATCH`]. A gateway failure
/// stops the run (the gateway is likely down; the rest wait for the next run) and the
/// message is retried with backoff, dead after four attempts. A message whose phone is gone
/// is skipped. Returns (sent, failed).
pub async fn send_due(core: &Core, now: i64) -> AppResult<(usize, usize)> {
    let mut sent = 0;
    for m in store::due_sms(&core.db, now, SEND_BATCH).await? {
        if !store::claim_sms(&core.db, &m.id, m.next_at, now + rules::LEASE_MS).await? {
            continue;
        }
        let attempts = m.attempts + 1;
        let blob = store::phone_blob(&core.db, &m.to_kind, &m.to_ref).await?;
        let phone = match (blob, aad_for(&m.to_kind, &m.to_ref)) {
            (Some(b), Some(aad)) => core.keys.decrypt_str(&b, &aad).ok(),
            _ => None,
        };
        let Some(phone) = phone else {
            store::finish_sms(
                &core.db,
                &m.id,
                "skipped",
                attempts,
                now,
                Some("no_phone"),
                now,
            )
            .await?;
            continue;
        };
        match core.sms.send(&phone, &m.text).await {
            Ok(()) => {
                store::finish_sms(&core.db, &m.id, "sent", attempts, now, None, now).await?;
                sent += 1;
            }
            Err(e) => {
                let err: String = e.to_string().chars().take(200).collect();
                let (state, next) = match rules::sms_retry_at(attempts, now) {
                    Some(at) => ("pending", at),
                    None => ("dead", now),
                };
                store::finish_sms(&core.db, &m.id, state, attempts, next, Some(&err), now).await?;
                return Ok((sent, 1));
            }
        }
    }
    Ok((sent, 0))
}
