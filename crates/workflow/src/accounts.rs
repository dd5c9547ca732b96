//! Who may log in to the portal, and the sessions they hold. Passwords are hashed with argon2id
//! (its default parameters) and must meet the installation's rules (`policy`); a session token
//! is 32 random bytes handed to the browser once, and the store keeps only its SHA-256. A session
//! ends at logout, when its account is disabled or its password changed, and after the idle
//! time. An account is locked for a while after failed logins in a row, and an address after
//! many. Accounts are managed within one's region: a 系统管理员 the 填报 and 审核 accounts, a
//! 安全管理员 every kind; the command line any. Every change and every login is audited.

use super::audit::Event;
use super::scope::{Action, Actor, Role};
use super::{Workflow, WorkflowError};
use crate::store::accounts::User;
use crate::store::audit::NewAudit;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// What a login gives: the token for the cookie (shown once, never stored) and the account.
pub struct Login {
    pub token: String,
    pub user: User,
}

/// An account to create.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// `reporter`, `reviewer`, `admin`, `secadmin` or `auditor`.
    pub role: &'a str,
    /// A region code or name.
    pub region: &'a str,
    /// The password must be changed at first login (set by someone else).
    pub must_change: bool,
}

/// The actor an account acts as.
pub fn actor_of(user: &User) -> Actor {
    Actor {
        name: Some(user.username.clone()),
        // A role this program does not know (a newer program's) may do nothing: an auditor.
        role: Role::of_code(&user.role).unwrap_or(Role::Auditor),
        region: Some(user.region.clone()),
        address: None,
        personal: user.personal_grant.is_some(),
    }
}

/// An argon2id hash of `password` in PHC form (the rules are checked by the caller).
pub fn hash_password(password: &str) -> Result<String, WorkflowError> {
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

fn no_such(username: &str) -> WorkflowError {
    WorkflowError::Account(format!("没有用户“{username}”"))
}

/// What a manager may do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAct {
    Enable,
    Disable,
    /// Set a temporary password.
    Reset,
    /// Grant the sight of the register's personal information (a county's reporter or reviewer).
    GrantPersonal,
    /// Withdraw it.
    RevokePersonal,
}

/// The roles of the accounts a manager of `role` may create and change: a 系统管理员 those of
/// the cycle (填报, 审核), a 安全管理员 (and the command line) every kind; others none (the
/// region check is `Action::ManageUsers`).
pub fn grantable(role: Role) -> &'static [Role] {
    match role {
        Role::Admin => &[Role::Reporter, Role::Reviewer],
        Role::Secadmin | Role::Operator => &[Role::Reporter, Role::Reviewer, Role::Admin, Role::Secadmin, Role::Auditor],
        Role::Reporter | Role::Reviewer | Role::Auditor => &[],
    }
}

impl Workflow<'_> {
    /// Checks that `actor` may manage an account of `role` in `region`: within its region, and
    /// a 系统管理员 only the accounts of the cycle (填报, 审核).
    fn may_manage(&self, actor: &Actor, role: Role, region: &crate::schema::Region) -> Result<(), WorkflowError> {
        self.allow(actor, Action::ManageUsers, region)?;
        if !grantable(actor.role).contains(&role) {
            return Err(WorkflowError::Account(format!(
                "系统管理员只能管理填报和审核账号；{}账号由安全管理员管理",
                role.label()
            )));
        }
        Ok(())
    }

    /// The account `username`, if `actor` may manage it.
    fn managed(&self, actor: &Actor, username: &str) -> Result<User, WorkflowError> {
        let user = self.store.user(username)?.ok_or_else(|| no_such(username))?;
        let region = self.region(&user.region)?;
        let role = Role::of_code(&user.role).unwrap_or(Role::Auditor);
        // Out of scope reads as "no such account": names of other regions' accounts stay hidden.
        if !super::scope::allowed(self.schemas, actor, Action::ManageUsers, region) {
            return Err(no_such(username));
        }
        self.may_manage(actor, role, region)?;
        Ok(user)
    }

    /// Creates an account.
    pub fn add_user(&mut self, actor: &Actor, new: &NewAccount<'_>) -> Result<User, WorkflowError> {
        let username = new.username.trim();
        if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c.is_control()) || username.chars().count() > 64 {
            return Err(WorkflowError::Account("用户名不能为空，不能含空格，不超过 64 个字符".into()));
        }
        let role = Role::of_code(new.role).ok_or_else(|| {
            WorkflowError::Account(format!(
                "角色“{}”应为 reporter（填报）、reviewer（审核）、admin（系统管理）、secadmin（安全管理）或 auditor（审计）",
                new.role
            ))
        })?;
        let region = self.region(new.region)?;
        self.may_manage(actor, role, region)?;
        if role == Role::Reporter && !self.schemas.regions.is_leaf(region) {
            return Err(WorkflowError::Account(format!(
                "填报账号属于县区；{} 不是县区（市、省的报表由审核账号上报）",
                self.schemas.regions.display(region)
            )));
        }
        if self.store.user(username)?.is_some() {
            return Err(WorkflowError::Account(format!("用户名“{username}”已存在")));
        }
        self.policy.check_password(new.password, username)?;
        let hash = hash_password(new.password)?;
        let text = format!(
            "新建{}账号“{username}”（{}）{}",
            role.label(),
            self.schemas.regions.display(region),
            if new.must_change { "，首次登录须改密码" } else { "" }
        );
        let entry = super::audit::entry(actor, Event::UserAdd, Some(&region.code), &text, self.now);
        self.store
            .add_user(username, &hash, role.code(), &region.code, new.must_change, self.now, &entry)?;
        Ok(self.store.user(username)?.expect("just added"))
    }

    /// The accounts `actor` may manage, by region and name.
    pub fn users(&self, actor: &Actor) -> Result<Vec<User>, WorkflowError> {
        Ok(self
            .store
            .users()?
            .into_iter()
            .filter(|u| {
                self.region(&u.region)
                    .is_ok_and(|r| super::scope::allowed(self.schemas, actor, Action::ManageUsers, r))
            })
            .collect())
    }

    /// The accounts `actor` may see in its region's account list, each with what `actor` may do
    /// to it now (none for its own account, and none for the accounts a 系统管理员 sees but
    /// does not manage).
    pub fn accounts(&self, actor: &Actor) -> Result<Vec<(User, Vec<AccountAct>)>, WorkflowError> {
        Ok(self
            .users(actor)?
            .into_iter()
            .map(|u| {
                let own = actor.name.as_deref() == Some(u.username.as_str()) && actor.role != Role::Operator;
                let managed = !own
                    && self
                        .region(&u.region)
                        .is_ok_and(|r| self.may_manage(actor, Role::of_code(&u.role).unwrap_or(Role::Auditor), r).is_ok());
                let mut acts = match (managed, u.disabled) {
                    (false, _) => Vec::new(),
                    (true, true) => vec![AccountAct::Enable, AccountAct::Reset],
                    (true, false) => vec![AccountAct::Disable, AccountAct::Reset],
                };
                if managed && self.may_be_granted(&u.region, &u.role) {
                    acts.push(match u.personal_grant {
                        None => AccountAct::GrantPersonal,
                        Some(_) => AccountAct::RevokePersonal,
                    });
                }
                (u, acts)
            })
            .collect())
    }

    /// Disables (or enables again) an account; disabling ends its sessions.
    pub fn set_disabled(&mut self, actor: &Actor, username: &str, disabled: bool) -> Result<(), WorkflowError> {
        let user = self.managed(actor, username)?;
        if disabled && actor.role != Role::Operator && actor.name.as_deref() == Some(username) {
            return Err(WorkflowError::Account("不能停用自己的账号".into()));
        }
        let (event, what) = if disabled {
            (Event::UserDisable, "停用")
        } else {
            (Event::UserEnable, "启用")
        };
        let text = format!("{what}账号“{username}”");
        let entry = super::audit::entry(actor, event, Some(&user.region), &text, self.now);
        self.store.set_disabled(username, disabled, &entry)?;
        if disabled {
            self.store.end_sessions_of(username, self.now)?;
        }
        Ok(())
    }

    /// Whether an account of `role` in `region` may be granted the sight of the register's
    /// personal information: a county's reporter or reviewer (its own persons), or a city's or
    /// the province's reviewer (the persons of the counties under it).
    fn may_be_granted(&self, region: &str, role: &str) -> bool {
        let county = self.schemas.regions.get(region).is_some_and(|r| self.schemas.regions.is_leaf(r));
        match Role::of_code(role) {
            Some(Role::Reporter) => county,
            Some(Role::Reviewer) => true,
            _ => false,
        }
    }

    /// Grants (or withdraws) the sight of the register's personal information in full: to a
    /// county's own reporter or reviewer, or to a city's or the province's reviewer, by whoever
    /// manages that account.
    pub fn set_personal_grant(&mut self, actor: &Actor, username: &str, on: bool) -> Result<(), WorkflowError> {
        let user = self.managed(actor, username)?;
        if on && !self.may_be_granted(&user.region, &user.role) {
            return Err(WorkflowError::Account(format!(
                "只有县区的填报、审核账号和市、省的审核账号可以授权查看台账个人信息；“{username}”不是"
            )));
        }
        let by = actor.name.clone().unwrap_or_else(|| "命令行".into());
        let grant = on.then(|| format!("{by} {}", crate::time::label(self.now)));
        let text = if on {
            format!("授权账号“{username}”查看台账个人信息（身份证号码、电话、姓名）")
        } else {
            format!("收回账号“{username}”查看台账个人信息的授权")
        };
        let entry = super::audit::entry(actor, Event::PersonalGrant, Some(&user.region), &text, self.now);
        self.store.set_personal_grant(username, grant.as_deref(), &entry)?;
        Ok(())
    }

    /// Sets another account's password (an administrator's reset, or the command line);
    /// `must_change` makes its owner change it at the next login. Its sessions end.
    pub fn set_password(&mut self, actor: &Actor, username: &str, password: &str, must_change: bool) -> Result<(), WorkflowError> {
        let user = self.managed(actor, username)?;
        self.policy.check_password(password, username)?;
        let hash = hash_password(password)?;
        let text = format!("重设账号“{username}”的密码{}", if must_change { "，下次登录须修改" } else { "" });
        let entry = super::audit::entry(actor, Event::PasswordChange, Some(&user.region), &text, self.now);
        self.store.set_password_hash(username, &hash, must_change, self.now, &entry)?;
        self.store.end_sessions_of(username, self.now)?;
        Ok(())
    }

    /// The signed-in account changes its own password, giving the current one. Its other
    /// sessions end; `keep` (the session doing it) stays open.
    pub fn change_own_password(&mut self, actor: &Actor, current: &str, new: &str, keep: &str) -> Result<(), WorkflowError> {
        let username = actor.name.clone().ok_or_else(|| no_such(""))?;
        let user = self.store.user(&username)?.ok_or_else(|| no_such(&username))?;
        if !verify(current, &user.password_hash) {
            return Err(WorkflowError::Account("当前密码不对".into()));
        }
        if current == new {
            return Err(WorkflowError::Account("新密码不能与当前密码相同".into()));
        }
        self.policy.check_password(new, &username)?;
        let hash = hash_password(new)?;
        let entry = super::audit::entry(actor, Event::PasswordChange, Some(&user.region), "修改了自己的密码", self.now);
        self.store.set_password_hash(&username, &hash, false, self.now, &entry)?;
        let keep = crate::text::sha256_hex(keep.as_bytes());
        self.store.end_other_sessions_of(&username, &keep, self.now)?;
        Ok(())
    }

    /// Until when `username` is locked by failed logins in a row, if it is.
    fn locked_until(&self, username: &str) -> Result<Option<crate::time::Time>, WorkflowError> {
        let rules = &self.policy.login;
        // In a row: a success clears the failures before it.
        let fails = self.store.last_login_failures(username, rules.max_failures)?;
        if fails.len() < rules.max_failures {
            return Ok(None);
        }
        let until = fails[0] + chrono::Duration::minutes(rules.lockout_minutes);
        Ok((until > self.now).then_some(until))
    }

    /// Checks a username and password from `address`; on success opens a session. Every
    /// attempt is audited.
    pub fn login(&mut self, username: &str, password: &str, address: &str) -> Result<Login, WorkflowError> {
        // What is recorded of a name tried is at most as long as a name can be: a stranger's
        // megabyte of "username" does not go into the log.
        let tried: String = username.chars().take(64).collect();
        let username = tried.as_str();
        let rules = self.policy.login.clone();
        let user = self.store.user(username)?;
        let failed = |wf: &mut Self, why: &str| -> Result<(), WorkflowError> {
            let region = user.as_ref().map(|u| u.region.clone());
            let text = format!("用户名“{username}”登录失败：{why}");
            wf.store.audit(&NewAudit {
                at: wf.now,
                action: Event::LoginFailed.code(),
                actor: Some(username),
                role: user.as_ref().map(|u| u.role.as_str()),
                region: region.as_deref(),
                address: Some(address),
                description: &text,
            })?;
            Ok(())
        };
        // Refusals while locked are recorded once a minute per account (per address when the
        // address is blocked): a flood of refused tries must not fill the log.
        const LOCKED: &str = "账号因连续登录失败已锁定";
        const BLOCKED: &str = "该地址登录失败次数过多";
        let minute_ago = crate::time::stamp(self.now - chrono::Duration::minutes(1));
        if let Some(until) = self.locked_until(username)? {
            if !self.store.refusal_recorded(LOCKED, Some(username), None, &minute_ago)? {
                failed(self, LOCKED)?;
            }
            let minutes = ((until - self.now).num_seconds() + 59) / 60;
            return Err(WorkflowError::TooManyLogins { minutes: minutes.max(1) });
        }
        let since = self.now - chrono::Duration::minutes(rules.lockout_minutes);
        let (_, by_addr) = self.store.login_failures_since(username, address, since)?;
        if by_addr >= rules.max_failures_per_address {
            if !self.store.refusal_recorded(BLOCKED, None, Some(address), &minute_ago)? {
                failed(self, BLOCKED)?;
            }
            return Err(WorkflowError::TooManyLogins {
                minutes: rules.lockout_minutes,
            });
        }
        // The hash is checked even for an unknown name, so that timing does not tell names apart.
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(dummy_hash);
        let ok = verify(password, &hash);
        match user.clone() {
            Some(mut u) if ok && !u.disabled => {
                let token = new_token()?;
                self.store.clear_login_failures(&u.username)?;
                self.store.add_session(&crate::text::sha256_hex(token.as_bytes()), u.id, self.now)?;
                let max_age = self.policy.password.max_age_days;
                let expired = max_age > 0
                    && u.password_set_at
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| self.now - t > chrono::Duration::days(max_age));
                if expired && !u.must_change {
                    self.store.set_must_change(&u.username)?;
                    u.must_change = true;
                }
                let actor = actor_of(&u).from_address(address);
                let text = if u.must_change {
                    "登录成功（须先修改密码）"
                } else {
                    "登录成功"
                };
                self.record(&actor, Event::Login, Some(&u.region), text)?;
                Ok(Login { token, user: u })
            }
            found => {
                self.store.add_login_failure(username, address, self.now)?;
                let why = match found {
                    None => "没有这个用户",
                    Some(u) if u.disabled => "账号已停用",
                    Some(_) => "密码不对",
                };
                failed(self, why)?;
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
        if user.disabled || self.now - last_seen > chrono::Duration::minutes(self.policy.login.idle_minutes) {
            self.store.end_session(&key, self.now)?;
            return Ok(None);
        }
        // Written at most once a minute: reads should not all become writes.
        if self.now - last_seen > chrono::Duration::minutes(1) {
            self.store.touch_session(&key, self.now)?;
        }
        Ok(Some(user))
    }

    pub fn logout(&mut self, actor: &Actor, token: &str) -> Result<(), WorkflowError> {
        self.store.end_session(&crate::text::sha256_hex(token.as_bytes()), self.now)?;
        let region = actor.region.clone();
        self.record(actor, Event::Logout, region.as_deref(), "退出登录")?;
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
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify("anything", &dummy_hash()));
    }
}
