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
    let scope = super::region_or_province(schemas, args.region.as_deref())?;
    let mut store = super::open_existing_store(&args.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(args.by.as_deref());
    let listing = match args.level {
        StatusLevel::County => Listing::Counties,
        StatusLevel::City => Listing::Cities,
    };
    let doc = wf.status_doc(&actor, scope, args.period, listing)?;
    let contacts = wf.contacts(&actor)?;
    let relay = if args.dry_run { None } else { super::relay(&args.servers, &args.from)? };
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
        let mut mails = Vec::new();
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
            if let Some(dir) = &args.outbox {
                let path = dir.join(format!("催报-{}-{}-{}.eml", args.period, chase.code, i + 1));
                std::fs::write(&path, &bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            }
            if relay.is_some() {
                // One reminder per region, address and day: a second run the same day sends
                // nothing new, while what the relay did not take is sent then.
                let key = format!("remind:{}/{}/{addr}/{}", args.period, chase.code, clock.now.format("%Y-%m-%d"));
                mails.push(crate::mail::relay::outgoing(key, addr, &reminder.subject, bytes, clock.now));
            }
        }
        wf.remind_by_mail(&actor, &chase.code, args.period, &mails)?;
    }
    let verb = if args.dry_run {
        "将发出"
    } else if relay.is_some() {
        "已排入发送队列"
    } else {
        "已写出"
    };
    println!(
        "\n催报名单 {} 个，{verb}催报邮件 {sent} 个地区{}",
        doc.chase.len(),
        if without.is_empty() {
            String::new()
        } else {
            format!("；通讯录中没有邮箱、需电话催报的：{}", without.join("、"))
        }
    );
    if let Some(relay) = &relay {
        let flushed = crate::mail::relay::flush(&mut wf, &actor, relay)?;
        print!("{}", super::inbox::sent_line(&flushed));
    }
    Ok(0)
}
