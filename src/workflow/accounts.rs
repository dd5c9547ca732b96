//! Who may log in to the portal, and the sessions they hold. Passwords are hashed with argon2id
//! (its default parameters); a session token is 32 random bytes handed to the browser once, and
//! the store keeps only its SHA-256. A session ends at logout, when its account is disabled or
//! its password changed, and after 30 minutes without a request. Failed logins are counted per
//! account and per address; past the limit, logins wait.

use super::scope::{Actor, Role};
use super::{Workflow, WorkflowError};
use crate::store::accounts::User;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// A session with no request for this long has ended.
pub const IDLE_MINUTES: i64 = 30;
/// Failed logins counted over this window …
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// … and how many of them stop further logins: for one account, and from one address.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// What a login gives: the token for the cookie (shown once, never stored) and the account.
pub struct Login {
    pub token: String,
    pub user: User,
}

fn parse_role(s: &str) -> Option<Role> {
    match s {
        "reporter" => Some(Role::Reporter),
        "reviewer" => Some(Role::Reviewer),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// The actor an account acts as.
pub fn actor_of(user: &User) -> Actor {
    Actor {
        name: Some(user.username.clone()),
        role: parse_role(&user.role).unwrap_or(Role::Reporter),
        region: Some(user.region.clone()),
    }
}

/// An argon2id hash of `password` in PHC form.
pub fn hash_password(password: &str) -> Result<String, WorkflowError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WorkflowError::Account(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符")));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| WorkflowError::Account("无法生成密码摘要".into()))
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh random session token, hex.
fn new_token() -> Result<String, WorkflowError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|_| WorkflowError::Account("无法生成会话".into()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

impl Workflow<'_> {
    /// Creates an account (the command line is the only one that may).
    pub fn add_user(&mut self, username: &str, password: &str, role: &str, region: &str) -> Result<User, WorkflowError> {
        let username = username.trim();
        if username.is_empty() || username.chars().any(char::is_whitespace) {
            return Err(WorkflowError::Account("用户名不能为空，也不能含空格".into()));
        }
        if parse_role(role).is_none() {
            return Err(WorkflowError::Account(format!(
                "角色“{role}”应为 reporter（填报）、reviewer（审核）或 admin（管理）"
            )));
        }
        let region = self.region(region)?;
        if self.store.user(username)?.is_some() {
            return Err(WorkflowError::Account(format!("用户名“{username}”已存在")));
        }
        let hash = hash_password(password)?;
        self.store.add_user(username, &hash, role, &region.code, self.now)?;
        Ok(self.store.user(username)?.expect("just added"))
    }

    pub fn set_disabled(&mut self, username: &str, disabled: bool) -> Result<(), WorkflowError> {
        if !self.store.set_disabled(username, disabled)? {
            return Err(WorkflowError::Account(format!("没有用户“{username}”")));
        }
        if disabled {
            self.store.end_sessions_of(username, self.now)?;
        }
        Ok(())
    }

    pub fn set_password(&mut self, username: &str, password: &str) -> Result<(), WorkflowError> {
        let hash = hash_password(password)?;
        if !self.store.set_password_hash(username, &hash)? {
            return Err(WorkflowError::Account(format!("没有用户“{username}”")));
        }
        self.store.end_sessions_of(username, self.now)?;
        Ok(())
    }

    /// Checks a username and password from `address`; on success opens a session.
    pub fn login(&mut self, username: &str, password: &str, address: &str) -> Result<Login, WorkflowError> {
        let since = self.now - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
        let (by_user, by_addr) = self.store.login_failures_since(username, address, since)?;
        if by_user >= MAX_FAILURES_PER_ACCOUNT || by_addr >= MAX_FAILURES_PER_ADDRESS {
            return Err(WorkflowError::TooManyLogins {
                minutes: FAILURE_WINDOW_MINUTES,
            });
        }
        let user = self.store.user(username)?;
        // The hash is checked even for an unknown name, so that timing does not tell names apart.
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(dummy_hash);
        let ok = verify(password, &hash);
        match user {
            Some(u) if ok && !u.disabled => {
                let token = new_token()?;
                self.store.add_session(&crate::text::sha256_hex(token.as_bytes()), u.id, self.now)?;
                Ok(Login { token, user: u })
            }
            _ => {
                self.store.add_login_failure(username, address, self.now)?;
                Err(WorkflowError::BadLogin)
            }
        }
    }

    /// The account behind a session token, if the session is open and not idle too long; the
    /// session's clock restarts.
    pub fn session(&mut self, token: &str) -> Result<Option<User>, WorkflowError> {
        let key = crate::text::sha256_hex(token.as_bytes());
        let Some((user, last_seen)) = self.store.session(&key)? else {
            return Ok(None);
        };
        if user.disabled || self.now - last_seen > chrono::Duration::minutes(IDLE_MINUTES) {
            self.store.end_session(&key, self.now)?;
            return Ok(None);
        }
        // Written at most once a minute: reads should not all become writes.
        if self.now - last_seen > chrono::Duration::minutes(1) {
            self.store.touch_session(&key, self.now)?;
        }
        Ok(Some(user))
    }

    pub fn logout(&mut self, token: &str) -> Result<(), WorkflowError> {
        self.store.end_session(&crate::text::sha256_hex(token.as_bytes()), self.now)?;
        Ok(())
    }
}

/// An argon2id hash of a random password, made once, to verify against when the name is
/// unknown.
fn dummy_hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let password = new_token().unwrap_or_else(|_| "yuebao-no-such-account".into());
        hash_password(&password).unwrap_or_default()
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse!", &h));
        assert!(hash_password("short").is_err());
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify("anything", &dummy_hash()));
    }
}
