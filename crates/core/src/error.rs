//! The one error type of the domain. Each variant carries a stable snake_case code that
//! the web layer translates; internal causes are logged, never shown.

use std::fmt;

/// A validation problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field at fault, as named in the form or JSON body (`id_number`, `phone`, …).
    pub field: String,
    /// A stable error code (`id_checksum`, `required`, …).
    pub code: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
        }
    }
}

/// Application error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {code}")]
    Conflict {
        code: &'static str,
        field: Option<&'static str>,
    },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("invalid transition: {0}")]
    InvalidTransition(&'static str),
    #[error("rate limited")]
    RateLimited,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The stable code shown to clients and translated by the UI.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::Validation(_) => "validation",
            AppError::Unauthenticated(code) => code,
            AppError::Forbidden => "forbidden",
            AppError::InvalidTransition(code) => code,
            AppError::RateLimited => "rate_limited",
            AppError::Internal(_) => "internal",
        }
    }

    /// Field errors, if any.
    pub fn fields(&self) -> Vec<FieldError> {
        match self {
            AppError::Validation(f) => f.clone(),
            AppError::Conflict {
                code,
                field: Some(field),
            } => vec![FieldError::new(*field, *code)],
            _ => Vec::new(),
        }
    }

    /// Shorthand for a single-field validation error.
    pub fn field(field: &str, code: &str) -> Self {
        AppError::Validation(vec![FieldError::new(field, code)])
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        // Unique-constraint violations become conflicts; the constraint name tells the field.
        if let sqlx::Error::Database(db) = &e {
            let msg = db.message().to_ascii_lowercase();
            let constraint = db.constraint().unwrap_or("").to_ascii_lowercase();
            let unique = msg.contains("unique") || msg.contains("duplicate key");
            if unique {
                if constraint.contains("persons_id") || msg.contains("persons.county_code") {
                    return AppError::Conflict {
                        code: "duplicate_person",
                        field: Some("id_number"),
                    };
                }
                if msg.contains("users.username") || constraint.contains("users_username") {
                    return AppError::Conflict {
                        code: "duplicate_username",
                        field: Some("username"),
                    };
                }
                if msg.contains("areas.code") || constraint.contains("areas_pkey") {
                    return AppError::Conflict {
                        code: "duplicate_area",
                        field: Some("code"),
                    };
                }
                if msg.contains("households.area_code") || constraint.contains("households_area") {
                    return AppError::Conflict {
                        code: "duplicate_household",
                        field: Some("number"),
                    };
                }
                if msg.contains("appraisals.area_code")
                    || constraint.contains("appraisals_village_year")
                {
                    return AppError::Conflict {
                        code: "appraisal_exists",
                        field: Some("year"),
                    };
                }
                return AppError::Conflict {
                    code: "duplicate",
                    field: None,
                };
            }
        }
        AppError::Internal(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

/// Result alias used across the core.
pub type AppResult<T> = Result<T, AppError>;

/// Every code an [`AppError`] or a [`FieldError`] can carry that the UI must translate.
/// A tidy test checks that each has a zh-CN and an English message.
pub const ERROR_CODES: &[&str] = &[
    "not_found",
    "validation",
    "forbidden",
    "rate_limited",
    "internal",
    "duplicate",
    "duplicate_person",
    "duplicate_username",
    "duplicate_area",
    "duplicate_household",
    "bad_credentials",
    "account_locked",
    "account_pending",
    "account_disabled",
    "otp_required",
    "otp_invalid",
    "session_expired",
    "csrf",
    "registry_mismatch",
    "code_invalid",
    "required",
    "too_long",
    "invalid",
    "password_policy",
    "reason_required",
    "id_empty",
    "id_length",
    "id_characters",
    "id_checksum",
    "id_birth_date",
    "id_birth_future",
    "id_birth_too_old",
    "phone_format",
    "area_code_format",
    "area_code_level",
    "area_code_prefix",
    "area_code_range",
    "area_parent_missing",
    "area_outside_scope",
    "area_in_use",
    "area_retired",
    "household_missing",
    "upload_too_large",
    "upload_not_xlsx",
    "upload_header",
    "role_invalid",
    "separation_of_duties",
    "invalid_transition",
    "evidence_required",
    "extension_pending",
    "no_extension_pending",
    "verify_own_work",
    "case_not_open",
    "already_top_level",
    "unknown_field",
    "not_a_number",
    "not_a_datetime",
    "not_in_list",
    "anonymous_not_allowed",
    "not_a_dispute",
    "consent_missing",
    "agreement_required",
    "agreement_unsigned",
    "file_type",
    // matters, meetings, votes, publications, objections
    "weakens_national_rule",
    "emergency_not_allowed",
    "matter_text_locked",
    "matter_not_open",
    "step_out_of_order",
    "wrong_body",
    "assembly_only",
    "authorisation_required",
    "text_changed_rerun_review",
    "matter_rejected",
    "ratification_overdue",
    "not_resolved",
    "roster_frozen",
    "notice_too_short",
    "meeting_already_convened",
    "roster_empty",
    "meeting_not_convened",
    "meeting_closed",
    "not_on_roster",
    "not_present",
    "already_voted",
    "open_vote_recorded_by_clerk",
    "tally_exceeds_attendance",
    "ballots_already_recorded",
    "demand_below_threshold",
    "public_phone",
    "public_id_number",
    "publication_released",
    "publication_generated",
    "review_pending",
    "publication_returned",
    "objection_window_closed",
    "objection_answered",
    "publication_pending",
    "archive_exists",
    "matter_not_final",
    // postings on the village board
    "publication_not_released",
    "posted_before_release",
    "in_future",
    "photo_type",
    "display_days_not_met",
    "posting_removed",
    // 民主评议
    "appraisal_exists",
    "appraisal_closed",
    "not_a_cadre",
    "no_evaluators",
    "not_an_evaluator",
    "already_appraised",
    "grade_every_cadre",
    // levy plans, suggestions, polls, bylaws
    "levy_above_cap",
    "levy_not_resolved",
    "levy_not_draft",
    "levy_not_approved",
    "levy_closed",
    "levy_overpayment",
    "amount_not_positive",
    "subsidy_pending",
    "subsidy_not_eligible",
    "too_short",
    "suggestion_answered",
    "poll_closed",
    "bylaw_not_filed",
    "bylaw_reviewed",
    "https_unsupported",
    "event_kind_unknown",
    "delivery_not_dead",
];

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.code)
    }
}
