//! The security policy an installation sets in `security.toml` in its data directory (absent:
//! the defaults, which meet 等保 2.0 level 2): password rules, the login lockout, the idle end
//! of a session. The workflow applies it; front ends load it once.

use super::WorkflowError;
use serde::Deserialize;
use std::path::Path;

/// The file, in the data directory.
pub const POLICY_FILE: &str = "security.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub password: PasswordRules,
    pub login: LoginRules,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordRules {
    /// Shortest password, in characters.
    pub min_chars: usize,
    /// Of the four classes: lower-case letters, upper-case letters, digits, other characters.
    pub min_classes: usize,
    /// A password older than this many days must be changed at login; 0: never.
    pub max_age_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginRules {
    /// This many failed logins in a row for one account …
    pub max_failures: usize,
    /// … lock it for this many minutes after the last of them.
    pub lockout_minutes: i64,
    /// From one address, this many failures within `lockout_minutes` stop its logins.
    pub max_failures_per_address: i64,
    /// A session with no request for this long has ended.
    pub idle_minutes: i64,
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules {
            min_chars: 8,
            min_classes: 3,
            max_age_days: 0,
        }
    }
}

impl Default for LoginRules {
    fn default() -> Self {
        LoginRules {
            max_failures: 5,
            lockout_minutes: 15,
            max_failures_per_address: 20,
            idle_minutes: 30,
        }
    }
}

impl Policy {
    /// Reads `dir/security.toml`; the defaults when there is none.
    pub fn load(dir: &Path) -> Result<Policy, WorkflowError> {
        let file = dir.join(POLICY_FILE);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Policy::default()),
            Err(_) => return Err(WorkflowError::Account(format!("无法读取安全策略文件 {}", file.display()))),
        };
        let p: Policy = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(1);
            WorkflowError::Account(format!(
                "安全策略文件 {} 第 {line} 行有误：只能有 [password] 的 min_chars、min_classes、max_age_days 和 [login] 的 max_failures、lockout_minutes、max_failures_per_address、idle_minutes，值为整数",
                file.display()
            ))
        })?;
        if p.password.min_chars < 8
            || !(1..=4).contains(&p.password.min_classes)
            || p.login.max_failures == 0
            || p.login.lockout_minutes <= 0
            || p.login.idle_minutes <= 0
        {
            return Err(WorkflowError::Account(format!(
                "安全策略文件 {} 的设置不合理：密码至少 8 个字符，字符种类 1–4 种，失败次数和锁定、空闲分钟数都应大于 0",
                file.display()
            )));
        }
        Ok(p)
    }

    /// Whether `password` meets the rules, or the rule it breaks, in a sentence.
    pub fn check_password(&self, password: &str, username: &str) -> Result<(), WorkflowError> {
        let r = &self.password;
        if password.chars().count() < r.min_chars {
            return Err(WorkflowError::Account(format!("密码至少 {} 个字符", r.min_chars)));
        }
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if classes < r.min_classes {
            return Err(WorkflowError::Account(format!(
                "密码应至少含以下四类字符中的 {} 类：小写字母、大写字母、数字、其他符号",
                r.min_classes
            )));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(WorkflowError::Account("密码不能包含用户名".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_want_eight_characters_of_three_classes() {
        let p = Policy::default();
        assert!(p.check_password("Abcdef1!", "zhang").is_ok());
        assert!(p.check_password("abcdef12", "zhang").unwrap_err().to_string().contains("3 类"));
        assert!(p.check_password("Ab1!", "zhang").unwrap_err().to_string().contains("8 个字符"));
        assert!(p.check_password("Zhang-2026", "zhang").unwrap_err().to_string().contains("用户名"));
        assert!(p.check_password("密码很长很长Ab1", "zhang").is_ok());
    }

    #[test]
    fn the_file_sets_rules_and_refuses_what_it_does_not_know() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(Policy::load(d.path()).unwrap(), Policy::default());
        std::fs::write(d.path().join(POLICY_FILE), "[password]\nmin_chars = 12\n[login]\nmax_failures = 3\n").unwrap();
        let p = Policy::load(d.path()).unwrap();
        assert_eq!((p.password.min_chars, p.password.min_classes, p.login.max_failures), (12, 3, 3));
        std::fs::write(d.path().join(POLICY_FILE), "[password]\nmin_chars = 12\nmin_lenght = 3\n").unwrap();
        let e = Policy::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("第 3 行") && e.contains("security.toml"), "{e}");
        std::fs::write(d.path().join(POLICY_FILE), "[password]\nmin_chars = 4\n").unwrap();
        assert!(Policy::load(d.path()).unwrap_err().to_string().contains("不合理"));
    }
}
