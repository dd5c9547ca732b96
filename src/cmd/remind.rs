//! `yuebao remind`: the workflow's 催报 list sent by mail. Every region on the list that has an
//! address in the book gets its reminder (the same text the portal's 催报 copies) as an `.eml`
//! in `--outbox`, and each one sent is recorded in the audit log as the portal's copy is.
//! `--dry-run` shows who would get what.

use super::Clock;
use crate::cli::{RemindArgs, StatusLevel};
use crate::schema::Schemas;
use crate::workflow::{Actor, Listing, Workflow};
use anyhow::Context;

pub fn run(args: &RemindArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let scope = super::region_arg(schemas, &args.region)?;
    let mut store = super::open_existing_store(&args.store)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(args.by.as_deref());
    let listing = match args.level {
        StatusLevel::County => Listing::Counties,
        StatusLevel::City => Listing::Cities,
    };
    let doc = wf.status_doc(&actor, scope, args.period, listing)?;
    let contacts = wf.contacts(&actor)?;
    if let Some(dir) = args.outbox.as_ref().filter(|_| !args.dry_run) {
        super::ensure_dir(dir)?;
    }
    let (mut sent, mut without) = (0, Vec::new());
    for chase in &doc.chase {
        let to: Vec<&str> = contacts.iter().filter(|c| c.region == chase.code).map(|c| c.email.as_str()).collect();
        if to.is_empty() {
            without.push(chase.name.clone());
            continue;
        }
        println!("{}（{}）→ {}\n  {}", chase.name, chase.status, to.join("、"), chase.reminder);
        sent += 1;
        if args.dry_run {
            continue;
        }
        let dir = args.outbox.as_ref().context("没有给出 --outbox")?;
        for (i, addr) in to.iter().enumerate() {
            let reminder = crate::mail::reply::Reply {
                to: addr.to_string(),
                subject: format!("【催报】{}{}报表", chase.name, args.period.label()),
                body: format!("{}\n\n（本邮件由月报系统发出。已报送的请忽略；报表请作为附件回复本邮件。）\n", chase.reminder),
                attachments: Vec::new(),
                in_reply_to: None,
                references: Vec::new(),
                message_id: None,
            };
            let bytes = reminder.eml(&args.from).map_err(anyhow::Error::msg)?;
            let path = dir.join(format!("催报-{}-{}-{}.eml", args.period, chase.code, i + 1));
            std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        }
        wf.remind(&actor, &chase.code, args.period)?;
    }
    let verb = if args.dry_run { "将发出" } else { "已写出" };
    println!(
        "\n催报名单 {} 个，{verb}催报邮件 {sent} 个地区{}",
        doc.chase.len(),
        if without.is_empty() {
            String::new()
        } else {
            format!("；通讯录中没有邮箱、需电话催报的：{}", without.join("、"))
        }
    );
    Ok(0)
}
