//! `yuebao user add|list|disable|passwd`: the portal's accounts, through the workflow.

use super::Clock;
use crate::cli::UserCommand;
use crate::schema::Schemas;
use crate::workflow::accounts::NewAccount;
use crate::workflow::policy::Policy;
use crate::workflow::{Actor, Workflow};
use std::io::BufRead;

fn password(from_stdin: bool, prompt: &str) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password(prompt)?;
    let again = rpassword::prompt_password("再输入一遍：")?;
    if first != again {
        anyhow::bail!("两次输入的密码不一致");
    }
    Ok(first)
}

pub fn run(cmd: &UserCommand, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let store_args = match cmd {
        UserCommand::Add { store, .. }
        | UserCommand::List { store }
        | UserCommand::Disable { store, .. }
        | UserCommand::Enable { store, .. }
        | UserCommand::Grant { store, .. }
        | UserCommand::Passwd { store, .. } => store,
    };
    let mut store = super::open_store(store_args, schemas)?;
    let policy = Policy::load(&crate::workflow::data::data_dir(store_args.dir.as_deref()))?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    wf.policy = policy;
    // The command line acts as the local operator; the audit log names the system account.
    let me = Actor::operator(std::env::var("USER").ok().as_deref());
    let rules = format!(
        "至少 {} 个字符，含大写字母、小写字母、数字、其他符号中的 {} 类",
        wf.policy.password.min_chars, wf.policy.password.min_classes
    );
    match cmd {
        UserCommand::Add {
            name,
            region,
            role,
            password_stdin,
            must_change,
            ..
        } => {
            let pw = password(*password_stdin, &format!("为 {name} 设置密码（{rules}）："))?;
            let u = wf.add_user(
                &me,
                &NewAccount {
                    username: name,
                    password: &pw,
                    role,
                    region,
                    must_change: *must_change,
                },
            )?;
            let region = schemas.regions.get(&u.region).map(|r| schemas.regions.display(r)).unwrap_or_default();
            let first = if u.must_change { "，首次登录须修改密码" } else { "" };
            println!("已添加账号 {}：{region}，角色 {}{first}", u.username, u.role);
        }
        UserCommand::List { .. } => {
            let users = wf.users(&me)?;
            if users.is_empty() {
                println!("还没有账号（用 yuebao user add 添加）");
            }
            for u in users {
                let region = schemas.regions.get(&u.region).map(|r| schemas.regions.display(r)).unwrap_or(u.region.clone());
                let state = match (u.disabled, u.must_change) {
                    (true, _) => "（已停用）",
                    (false, true) => "（待改密码）",
                    _ => "",
                };
                println!("{}\t{}\t{region}\t创建于 {}{state}", u.username, u.role, u.created_at);
            }
        }
        UserCommand::Disable { name, .. } => {
            wf.set_disabled(&me, name, true)?;
            println!("已停用账号 {name}，其会话已失效");
        }
        UserCommand::Enable { name, .. } => {
            wf.set_disabled(&me, name, false)?;
            println!("已启用账号 {name}");
        }
        UserCommand::Grant { name, revoke, .. } => {
            wf.set_personal_grant(&me, name, !revoke)?;
            match revoke {
                false => println!("已授权账号 {name} 查看台账个人信息（每次查看都记入审计日志）"),
                true => println!("已收回账号 {name} 查看台账个人信息的授权"),
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
            must_change,
            ..
        } => {
            let pw = password(*password_stdin, &format!("{name} 的新密码（{rules}）："))?;
            wf.set_password(&me, name, &pw, *must_change)?;
            println!("已修改 {name} 的密码，其会话已失效");
        }
    }
    Ok(0)
}
