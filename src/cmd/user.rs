//! `yuebao user add|list|disable|passwd`: the portal's accounts, through the workflow.

use super::Clock;
use crate::cli::UserCommand;
use crate::schema::Schemas;
use crate::workflow::Workflow;
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
        UserCommand::Add { store, .. } | UserCommand::List { store } | UserCommand::Disable { store, .. } | UserCommand::Passwd { store, .. } => store,
    };
    let mut store = super::open_store(store_args)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    match cmd {
        UserCommand::Add {
            name,
            region,
            role,
            password_stdin,
            ..
        } => {
            let pw = password(*password_stdin, &format!("为 {name} 设置密码（至少 8 个字符）："))?;
            let u = wf.add_user(name, &pw, role, region)?;
            let region = schemas.regions.get(&u.region).map(|r| schemas.regions.display(r)).unwrap_or_default();
            println!("已添加账号 {}：{region}，角色 {}", u.username, u.role);
        }
        UserCommand::List { .. } => {
            let users = wf.store.users()?;
            if users.is_empty() {
                println!("还没有账号（用 yuebao user add 添加）");
            }
            for u in users {
                let region = schemas.regions.get(&u.region).map(|r| schemas.regions.display(r)).unwrap_or(u.region.clone());
                let state = if u.disabled { "（已停用）" } else { "" };
                println!("{}\t{}\t{region}\t创建于 {}{state}", u.username, u.role, u.created_at);
            }
        }
        UserCommand::Disable { name, .. } => {
            wf.set_disabled(name, true)?;
            println!("已停用账号 {name}，其会话已失效");
        }
        UserCommand::Passwd { name, password_stdin, .. } => {
            let pw = password(*password_stdin, &format!("{name} 的新密码（至少 8 个字符）："))?;
            wf.set_password(name, &pw)?;
            println!("已修改 {name} 的密码，其会话已失效");
        }
    }
    Ok(0)
}
