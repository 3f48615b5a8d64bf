//! Pure account rules: password policy, lockout, session expiry, TOTP.

use crate::error::FieldError;

/// Failed logins before the account locks.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts (ms): 30 minutes.
pub const LOCK_MS: i64 = 30 * 60 * 1000;
/// Idle timeout of a browser session (ms): 30 minutes.
pub const IDLE_MS: i64 = 30 * 60 * 1000;
/// Absolute lifetime of a browser session (ms): 12 hours.
pub const BROWSER_SESSION_MS: i64 = 12 * 3600 * 1000;
/// Lifetime of an API token (ms): 30 days.
pub const API_TOKEN_MS: i64 = 30 * 24 * 3600 * 1000;
/// One-time code lifetime (ms): 10 minutes; attempts allowed.
pub const OTC_MS: i64 = 10 * 60 * 1000;
pub const OTC_ATTEMPTS: i64 = 5;

/// Password policy (等保 身份鉴别 a): at least 8 characters for villagers and 10 for staff,
/// characters from at least 2 (villagers) or 3 (staff) of: lower, upper, digit, symbol;
/// not containing the username.
pub fn check_password(password: &str, username: &str, staff: bool) -> Result<(), FieldError> {
    let len = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let (min_len, min_classes) = if staff { (10, 3) } else { (8, 2) };
    let contains_user =
        !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase());
    if len < min_len || len > 128 || classes < min_classes || contains_user {
        return Err(FieldError::new("password", "password_policy"));
    }
    Ok(())
}

/// Whether the account is locked at `now`.
pub fn is_locked(locked_until: i64, now: i64) -> bool {
    locked_until > now
}

/// After a failure: the new failure count and lock deadline.
pub fn after_failure(failed: i64, now: i64) -> (i64, i64) {
    let failed = failed + 1;
    if failed >= MAX_FAILED_LOGINS {
        (0, now + LOCK_MS)
    } else {
        (failed, 0)
    }
}

/// Whether a session is still valid at `now`.
pub fn session_valid(kind: &str, last_seen: i64, expires_at: i64, now: i64) -> bool {
    if now >= expires_at {
        return false;
    }
    kind != "browser" || now - last_seen < IDLE_MS
}

/// A TOTP (RFC 6238, SHA-1, 6 digits, 30 s) for a raw secret — what every authenticator app
/// speaks.
pub fn totp(secret: &[u8]) -> Option<totp_rs::TOTP> {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec()).ok()
}

/// Check a TOTP code at time `now_ms` (one step of skew allowed).
pub fn check_totp(secret: &[u8], code: &str, now_ms: i64) -> bool {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    totp(secret).is_some_and(|t| t.check(code, (now_ms / 1000) as u64))
}

/// The base32 text of a TOTP secret (what users type into an authenticator app).
pub fn totp_base32(secret: &[u8]) -> String {
    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(check_password("abc12345", "u", false).is_ok());
        assert!(check_password("abcdefgh", "u", false).is_err());
        assert!(check_password("abc1234", "u", false).is_err());
        assert!(check_password("Abcdef12345", "u", true).is_ok());
        assert!(check_password("abcdef12345", "u", true).is_err());
        assert!(check_password("Zhang3san!!x", "zhang3san", true).is_err());
    }

    #[test]
    fn lockout_after_five() {
        let mut f = 0;
        for _ in 0..4 {
            let until;
            (f, until) = after_failure(f, 1000);
            assert_eq!(until, 0);
        }
        let until;
        (f, until) = after_failure(f, 1000);
        assert_eq!(f, 0);
        assert_eq!(until, 1000 + LOCK_MS);
        assert!(is_locked(until, 1001));
        assert!(!is_locked(until, until));
    }

    #[test]
    fn idle_timeout_applies_to_browser_sessions_only() {
        assert!(session_valid("browser", 0, 10 * IDLE_MS, IDLE_MS - 1));
        assert!(!session_valid("browser", 0, 10 * IDLE_MS, IDLE_MS));
        assert!(session_valid("api", 0, 10 * IDLE_MS, IDLE_MS * 2));
        assert!(!session_valid("api", 0, 10, 10));
    }

    #[test]
    fn totp_round_trip() {
        let secret = b"12345678901234567890";
        let t = totp(secret).expect("totp");
        let now = 1_700_000_000_000i64;
        let code = t.generate((now / 1000) as u64);
        assert!(check_totp(secret, &code, now));
        assert!(!check_totp(secret, &code, now + 120_000));
        assert!(!check_totp(secret, "12345", now));
    }
}
