//! `yuebao inbox`: the city's mailbox as a third way in. Each message's spreadsheets go through
//! the workflow's submit with the message's arrival time and its sender; each sender gets a
//! Chinese reply (an `.eml` in `--outbox`); a message already handled is skipped, so running it
//! every morning over the same mailbox stores nothing twice.

use super::Clock;
use crate::cli::{InboxArgs, OutputFormat};
use crate::mail::imap::Fetched;
use crate::mail::relay::{Relay, ServerUrl};
use crate::mail::{self, ArrivalSource, Incoming, Skipped};
use crate::schema::Schemas;
use crate::workflow::{Actor, Channel, MailMessage, MailOrigin, SubStatus, SubmitOutcome, Upload, Workflow, WorkflowError};
use anyhow::Context;
use serde::Serialize;

/// What became of one attachment.
#[derive(Debug, Serialize)]
struct SheetResult {
    /// The upload stored, when one was.
    id: Option<i64>,
    name: String,
    /// 已接收 / 待说明 / 退回 / 未提交 / 已处理过.
    outcome: String,
    /// The verdict, when the attachment was stored: what the reply's advice follows.
    #[serde(skip)]
    status: Option<SubStatus>,
    region: Option<String>,
    period: Option<String>,
    timeliness: Option<String>,
    /// One line per finding, with its cell.
    findings: Vec<String>,
    /// Said to the sender beside the outcome (a sheet from another region's address, a refusal).
    note: Option<String>,
}

impl SheetResult {
    /// An attachment that was not stored this time (handled before, or refused).
    fn unstored(name: &str, outcome: &str, note: Option<String>) -> SheetResult {
        SheetResult {
            id: None,
            name: name.to_string(),
            outcome: outcome.to_string(),
            status: None,
            region: None,
            period: None,
            timeliness: None,
            findings: Vec::new(),
            note,
        }
    }
}

/// What became of one message.
#[derive(Debug, Serialize)]
struct MessageResult {
    origin: String,
    key: String,
    from: Option<String>,
    subject: String,
    #[serde(serialize_with = "crate::time::serde_label_opt")]
    received_at: Option<crate::time::Time>,
    arrival: ArrivalSource,
    sheets: Vec<SheetResult>,
    skipped: Vec<Skipped>,
    /// Why the clerk should look at it, when they should.
    attention: Option<String>,
    reply: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    messages: usize,
    already_handled: usize,
    attachments_submitted: usize,
    accepted: usize,
    pending: usize,
    rejected: usize,
    not_submitted: usize,
    replies: usize,
    attention: usize,
    /// What the relay took this run (`--smtp`): replies, and anything left from earlier runs.
    sent: Option<mail::relay::Flushed>,
    results: Vec<MessageResult>,
}

impl Summary {
    /// One attachment stored, with its verdict.
    fn stored(&mut self, status: SubStatus) {
        self.attachments_submitted += 1;
        match status {
            SubStatus::Accepted => self.accepted += 1,
            SubStatus::Pending => self.pending += 1,
            SubStatus::Rejected => self.rejected += 1,
        }
    }
}

pub fn run(args: &InboxArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    // The passwords are asked for once, before the first round.
    let imap = match &args.imap {
        Some(text) => {
            let url = ServerUrl::parse(text, ("imaps", 993), ("imap", 143))?;
            let pw = super::mail_password("YUEBAO_IMAP_PASSWORD", "IMAP", &url, args.servers.password_stdin)?;
            Some((url, pw))
        }
        None => None,
    };
    let relay = super::relay(&args.servers, &args.reply_from)?;
    let Some(minutes) = args.watch else {
        return round(args, schemas, clock, imap.as_ref(), relay.as_ref());
    };
    // Keeps polling: a round that fails (the server down, the disk full) is reported and the
    // next one tried; the clock moves on from `--now` (or the present) by the time elapsed.
    let started = std::time::Instant::now();
    for n in 1.. {
        let now = clock.now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        println!("== 第 {n} 轮（{}）", crate::time::label(now));
        if let Err(e) = round(args, schemas, &Clock { now }, imap.as_ref(), relay.as_ref()) {
            eprintln!("本轮失败：{}；{minutes} 分钟后重试", crate::in_chinese(&e));
        }
        std::thread::sleep(std::time::Duration::from_secs_f64(minutes * 60.0));
    }
    Ok(0)
}

/// One reading of every source: each new message handled, the queue sent, the summary printed.
fn round(args: &InboxArgs, schemas: &Schemas, clock: &Clock, imap: Option<&(ServerUrl, String)>, relay: Option<&Relay>) -> anyhow::Result<i32> {
    let mut store = super::open_store(&args.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    if let Some(dir) = &args.outbox {
        super::ensure_dir(dir)?;
    }
    let mut run = Run {
        args,
        schemas,
        clock,
        relay: relay.is_some(),
        sum: Summary::default(),
    };
    for raw in mail::read_sources(&args.sources)? {
        let inc = mail::read_message(&raw.bytes, &args.limits);
        run.take(&mut wf, raw.origin, inc)?;
    }
    // The mailbox on the server; what the queue holds is sent even when reading it failed.
    let read = match imap {
        Some((url, password)) => read_mailbox(&mut run, &mut wf, url, password),
        None => Ok(()),
    };
    let mut sum = run.sum;
    if let Some(relay) = relay {
        sum.sent = Some(mail::relay::flush(&mut wf, &Actor::operator(None), relay)?);
    }
    if let Err(e) = read {
        if let Some(f) = &sum.sent {
            print!("{}", sent_line(f));
        }
        return Err(e);
    }
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&sum)?),
        OutputFormat::Text => print!("{}", text(&sum)),
    }
    Ok(i32::from(sum.attention > 0 || sum.rejected > 0 || sum.pending > 0 || sum.not_submitted > 0))
}

/// Every message of the mailbox not yet processed, each marked once the store holds it (a crash
/// in between finds it handled next time, and only marks it). Where the server keeps no keyword
/// of ours, every message is looked at by its header and those handled before are skipped.
fn read_mailbox(run: &mut Run<'_>, wf: &mut Workflow<'_>, url: &ServerUrl, password: &str) -> anyhow::Result<()> {
    let mut mailbox = mail::imap::Mailbox::open(url, password, run.args.servers.ca_file.as_deref())?;
    for uid in mailbox.unprocessed()? {
        if !mailbox.marks_with_keyword() {
            let header = mailbox.fetch_header(uid)?;
            if mail::header_key(&header).is_some_and(|k| wf.mail_handled(&k).ok().flatten().is_some()) {
                continue;
            }
        }
        let inc = match mailbox.fetch(uid, mail::MAX_MESSAGE_BYTES)? {
            Fetched::Message(bytes) => mail::read_message(&bytes, &run.args.limits),
            Fetched::TooLarge { size, header } => mail::read_oversize(&header, size),
            Fetched::Gone => continue,
        };
        run.take(wf, format!("{} 第 {uid} 封", mailbox.label), inc)?;
        mailbox.mark(uid)?;
    }
    mailbox.logout();
    Ok(())
}

/// One round's settings and what it has done so far.
struct Run<'a> {
    args: &'a InboxArgs,
    schemas: &'a Schemas,
    clock: &'a Clock,
    /// Replies go to the relay's queue (`--smtp`).
    relay: bool,
    sum: Summary,
}

impl Run<'_> {
    /// One message, read (None: not a message at all), unless it was handled before.
    fn take(&mut self, wf: &mut Workflow<'_>, origin: String, inc: Option<Incoming>) -> anyhow::Result<()> {
        self.sum.messages += 1;
        let Some(inc) = inc else {
            self.sum.attention += 1;
            self.sum.results.push(MessageResult {
                origin,
                key: String::new(),
                from: None,
                subject: String::new(),
                received_at: None,
                arrival: ArrivalSource::Processing,
                sheets: Vec::new(),
                skipped: Vec::new(),
                attention: Some("不是电子邮件（没有邮件头），未处理".into()),
                reply: None,
            });
            return Ok(());
        };
        if wf.mail_handled(&inc.key)?.is_some() {
            self.sum.already_handled += 1;
            return Ok(());
        }
        let result = handle(self, wf, origin, &inc)?;
        self.sum.results.push(result);
        Ok(())
    }
}

/// One message: its sheets handed in, its reply written, and it recorded as handled.
fn handle(run: &mut Run<'_>, wf: &mut Workflow<'_>, origin: String, inc: &Incoming) -> anyhow::Result<MessageResult> {
    let (schemas, args, clock, relay) = (run.schemas, run.args, run.clock, run.relay);
    let sum = &mut run.sum;
    let sender = inc.from.clone();
    let contact = match &sender {
        Some(a) => wf.contact_of(a)?,
        None => None,
    };
    let actor = Actor::operator(Some(sender.as_deref().unwrap_or("发件人不明")));
    let mut sheets = Vec::new();
    let mut annotated = Vec::new();
    let mut attention = Vec::new();
    if let Some(why) = &inc.refused {
        attention.push(why.clone());
    }
    let explained = explain(wf, args, inc, &actor, sender.as_deref(), &mut attention, sum)?;
    sheets.extend(explained);
    if inc.refused.is_none() && inc.sheets.is_empty() && sheets.is_empty() && attention.is_empty() {
        attention.push(if inc.skipped.is_empty() {
            "邮件中没有附件".to_string()
        } else {
            "邮件中没有电子表格附件".to_string()
        });
    }
    for sheet in &inc.sheets {
        let digest = crate::text::sha256_hex(&sheet.bytes);
        let key = format!("{}/{digest}", inc.key);
        if wf.mail_submission(&key)?.is_some() {
            sheets.push(SheetResult::unstored(&sheet.name, "已处理过", None));
            continue;
        }
        let hints = super::hints(None, None, args.limits);
        let display = format!("邮件附件 {}", sheet.name);
        let received_at = inc.received_at.filter(|t| *t <= clock.now + chrono::Duration::minutes(5));
        let origin = MailOrigin {
            sender: sender.as_deref().unwrap_or(""),
            key: &key,
        };
        let mut checked = crate::workflow::submit::check(schemas, &mail_upload((&sheet.name, &sheet.bytes, None), &display, &hints, received_at, origin));
        let mut by_sender: Option<crate::validate::Hints> = None;
        if checked.report().region.is_none() {
            match &contact {
                // The sheet names no region: the sender's, by the address book.
                Some(c) => {
                    let h = by_sender.insert(crate::validate::Hints {
                        region: Some(c.region.clone()),
                        region_source: "发件人在通讯录中登记的地区".into(),
                        ..hints.clone()
                    });
                    checked = crate::workflow::submit::check(schemas, &mail_upload((&sheet.name, &sheet.bytes, None), &display, h, received_at, origin));
                }
                // Nobody to say whose it is: not guessed, listed for the clerk.
                None => {
                    sum.not_submitted += 1;
                    attention.push(format!("附件 {} 的表内没有写明地区，发件地址也不在通讯录中，未提交，请人工处理", sheet.name));
                    let why = "表内没有写明填报单位，发件地址也未登记，无法判断是哪个县区的报表；请在表头写明填报单位后重发";
                    sheets.push(SheetResult::unstored(&sheet.name, "未提交", Some(why.into())));
                    continue;
                }
            }
        }
        let used = by_sender.as_ref().unwrap_or(&hints);
        match wf.submit_checked(
            &actor,
            &mail_upload((&sheet.name, &sheet.bytes, None), &display, used, received_at, origin),
            checked,
        ) {
            Ok(o) => {
                sum.stored(o.status);
                let note = sender_note(schemas, contact.as_ref(), sender.as_deref(), &o);
                if let Some(n) = &note {
                    attention.push(format!("附件 {}：{n}", sheet.name));
                }
                if o.findings.iter().any(|f| f.severity >= crate::finding::Severity::Warning)
                    && o.report.book.is_some()
                    && let Ok(mut wb) = crate::workbook::annotate::annotated_workbook(&o.report, schemas)
                    && let Ok(bytes) = wb.save_to_buffer()
                {
                    let stem = sheet.name.rsplit_once('.').map_or(sheet.name.as_str(), |(s, _)| s);
                    annotated.push((format!("{stem}-审核.xlsx"), bytes));
                }
                sheets.push(sheet_result(&sheet.name, &o, note));
            }
            Err(WorkflowError::Store(e)) => return Err(e.into()),
            Err(e) => {
                sum.not_submitted += 1;
                sheets.push(SheetResult::unstored(&sheet.name, "未提交", Some(e.to_string())));
            }
        }
    }
    let attention = (!attention.is_empty()).then(|| attention.join("；"));
    let mut result = MessageResult {
        origin,
        key: inc.key.clone(),
        from: sender.clone(),
        subject: inc.subject.clone(),
        received_at: inc.received_at,
        arrival: inc.arrival,
        sheets,
        skipped: inc.skipped.clone(),
        attention,
        reply: None,
    };
    let mut queued = None;
    if let Some(to) = sender.as_ref().filter(|_| args.outbox.is_some() || relay) {
        let reply = mail::reply::Reply {
            to: to.clone(),
            subject: format!("回复：{}", if inc.subject.is_empty() { "报表" } else { &inc.subject }),
            body: reply_body(&result, inc),
            attachments: annotated,
            in_reply_to: inc.message_id.as_ref().map(|m| format!("<{m}>")),
            references: inc.references.clone(),
            message_id: awaiting_note(&result, &inc.key),
        };
        match reply.eml(&args.reply_from) {
            Ok(bytes) => {
                sum.replies += 1;
                if let Some(dir) = &args.outbox {
                    let path = dir.join(format!("回信-{}.eml", &crate::text::sha256_hex(inc.key.as_bytes())[..16]));
                    std::fs::write(&path, &bytes).with_context(|| format!("无法写入回信 {}", path.display()))?;
                    result.reply = Some(path.display().to_string());
                }
                if relay {
                    result.reply.get_or_insert_with(|| format!("致 {to}（经邮件服务器发出）"));
                    queued = Some(mail::relay::outgoing(format!("reply:{}", inc.key), to, &reply.subject, bytes, clock.now));
                }
            }
            // A sender's address that lettre will not write to (`a..b@x.cn`): no reply, the
            // message recorded all the same and listed for the clerk.
            Err(why) => {
                let note = format!("无法回信：{why}");
                result.attention = Some(result.attention.take().map_or(note.clone(), |a| format!("{a}；{note}")));
            }
        }
    }
    sum.attention += usize::from(result.attention.is_some());
    let outcome = outcome_sentence(&result);
    wf.record_mail(
        &actor,
        &MailMessage {
            key: inc.key.clone(),
            message_id: inc.message_id.clone(),
            sender,
            subject: Some(inc.subject.clone()),
            received_at: inc.received_at,
            processed_at: clock.now,
            outcome,
        },
        queued.as_ref(),
    )?;
    Ok(result)
}

/// The Message-ID of a reply about sheets that wait for a 说明: it names them, so that the
/// sender's answer to it (`In-Reply-To`) is read as their 说明.
fn awaiting_note(r: &MessageResult, key: &str) -> Option<String> {
    let ids: Vec<String> = r
        .sheets
        .iter()
        .filter(|s| s.status == Some(SubStatus::Pending))
        .filter_map(|s| s.id.map(|i| i.to_string()))
        .collect();
    (!ids.is_empty()).then(|| format!("<shuoming-{}.{}@yuebao.local>", ids.join("-"), &crate::text::sha256_hex(key.as_bytes())[..12]))
}

/// The uploads a reply to one of our replies explains: the ids its references name.
fn explained_ids(inc: &Incoming) -> Vec<i64> {
    inc.references
        .iter()
        .filter_map(|r| r.strip_prefix("<shuoming-"))
        .filter_map(|r| r.split('.').next())
        .flat_map(|ids| ids.split('-').filter_map(|i| i.parse().ok()).collect::<Vec<i64>>())
        .collect()
}

/// A reply to our reply that gives the 说明 for sheets waiting for one: each is handed in again
/// with the reply's own words as its 说明, when the reply comes from the address that sent it.
fn explain(
    wf: &mut Workflow<'_>,
    args: &InboxArgs,
    inc: &Incoming,
    actor: &Actor,
    sender: Option<&str>,
    attention: &mut Vec<String>,
    sum: &mut Summary,
) -> anyhow::Result<Vec<SheetResult>> {
    let ids = explained_ids(inc);
    if ids.is_empty() || !inc.sheets.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for id in ids {
        let (s, bytes) = match wf.pending_original(&Actor::operator(None), id) {
            Ok(x) => x,
            Err(WorkflowError::Store(e)) => return Err(e.into()),
            Err(e) => {
                attention.push(format!("回信说明第 {id} 号报送，但{e}"));
                continue;
            }
        };
        if s.sender.is_none() || s.sender.as_deref() != sender {
            attention.push(format!(
                "第 {id} 号报送的说明来自 {}，不是报送该表的地址，未采用",
                sender.unwrap_or("发件人不明")
            ));
            continue;
        }
        if inc.text.is_empty() {
            attention.push(format!("回信中没有说明文字，第 {id} 号报送仍待说明"));
            continue;
        }
        let hints = crate::validate::Hints {
            region: s.region.clone(),
            period: s.period,
            region_source: "待说明的报表".into(),
            period_source: "待说明的报表".into(),
            ..super::hints(None, None, args.limits)
        };
        let key = format!("{}/{}", inc.key, s.sha256);
        // Stored by a run that stopped before recording the message: not handed in twice.
        if wf.mail_submission(&key)?.is_some() {
            out.push(SheetResult::unstored(&s.file_name, "已处理过", None));
            continue;
        }
        let origin = MailOrigin {
            sender: sender.unwrap_or(""),
            key: &key,
        };
        // No arrival of its own: the workflow takes the held version's.
        let up = mail_upload((&s.file_name, &bytes, Some(&inc.text)), &s.file_name, &hints, None, origin);
        match wf.submit(actor, &up) {
            Ok(o) => {
                sum.stored(o.status);
                out.push(sheet_result(&s.file_name, &o, Some(format!("说明：{}", inc.text))));
            }
            Err(WorkflowError::Store(e)) => return Err(e.into()),
            Err(e) => attention.push(format!("第 {id} 号报送的说明未能采用：{e}")),
        }
    }
    Ok(out)
}

/// A sheet (name, bytes, 说明) as the workflow takes it by mail, at the message's arrival.
fn mail_upload<'a>(
    (file_name, bytes, note): (&'a str, &'a [u8], Option<&'a str>),
    display: &'a str,
    hints: &'a crate::validate::Hints,
    received_at: Option<crate::time::Time>,
    origin: MailOrigin<'a>,
) -> Upload<'a> {
    Upload {
        file_name,
        display,
        bytes,
        received_at,
        note,
        on_behalf_of: None,
        late_reason: None,
        hints,
        basis: None,
        channel: Channel::Mail,
        mail: Some(origin),
    }
}

/// A sheet handed in from an address that is not its region's own (nor one above it).
fn sender_note(schemas: &Schemas, contact: Option<&crate::workflow::Contact>, sender: Option<&str>, o: &SubmitOutcome) -> Option<String> {
    let region = o.region.as_deref()?;
    let sender = sender.unwrap_or("发件人不明");
    match contact {
        Some(c) if schemas.regions.get(region).is_some_and(|r| schemas.regions.within(r, &c.region)) => None,
        Some(c) => Some(format!(
            "发件地址 {sender} 在通讯录中属于{}，不是{}的地址；报表已按表内地区接收，请核实",
            schemas
                .regions
                .get(&c.region)
                .map(|r| schemas.regions.display(r))
                .unwrap_or_else(|| c.region.clone()),
            o.region_name.as_deref().unwrap_or(region)
        )),
        None => Some(format!(
            "发件地址 {sender} 不在通讯录中；报表已按表内地区（{}）接收，请核实",
            o.region_name.as_deref().unwrap_or(region)
        )),
    }
}

fn sheet_result(name: &str, o: &SubmitOutcome, note: Option<String>) -> SheetResult {
    SheetResult {
        id: Some(o.id),
        name: name.to_string(),
        outcome: if o.explains.is_some() {
            format!("{}（按说明）", o.status.label())
        } else {
            o.status.label().to_string()
        },
        status: Some(o.status),
        region: o.region_name.clone().or(o.region.clone()),
        period: o.period.map(|p| p.label()),
        timeliness: o.timeliness.map(|t| t.words()),
        findings: o.findings.iter().map(finding_line).collect(),
        note,
    }
}

/// A finding for the sender: where (sheet and cell) and what, without the file's name (the
/// reply names the attachment above it).
fn finding_line(f: &crate::finding::Finding) -> String {
    let at = match (&f.sheet, f.pos) {
        (Some(sheet), Some((r, c))) => format!("工作表“{sheet}”{}：", crate::text::a1(r, c)),
        (Some(sheet), None) => format!("工作表“{sheet}”："),
        _ => String::new(),
    };
    format!("{at}{} {}", f.code.as_str(), f.message)
}

/// The reply's text: per attachment its region, month and outcome, the findings one a line, and
/// what to do next.
fn reply_body(r: &MessageResult, inc: &Incoming) -> String {
    let mut b = String::from("您好！\n\n");
    let when = inc.received_at.map(crate::time::label).unwrap_or_else(|| "（未能确定）".into());
    b.push_str(&format!("您的邮件“{}”已于 {when} 收到，处理结果如下。\n\n", inc.subject));
    if let Some(why) = &inc.refused {
        b.push_str(&format!("{why}。请检查后重新发送。\n\n"));
    } else if r.sheets.is_empty() {
        b.push_str(if r.skipped.is_empty() {
            "邮件中没有附件。请把填好的统计表（Excel 文件）作为附件发送。\n\n"
        } else {
            "邮件中没有电子表格附件。请把填好的统计表（Excel 文件）作为附件发送。\n\n"
        });
    }
    for s in &r.sheets {
        let whose = match (&s.region, &s.period) {
            (Some(r), Some(p)) => format!("{r} {p}"),
            (Some(r), None) => r.clone(),
            _ => "地区或报告期不明".into(),
        };
        b.push_str(&format!("附件 {}：{whose}，{}", s.name, s.outcome));
        if let Some(t) = &s.timeliness {
            b.push_str(&format!("（{t}）"));
        }
        b.push_str("。\n");
        for f in &s.findings {
            b.push_str(&format!("  · {f}\n"));
        }
        match s.status {
            Some(SubStatus::Rejected) => b.push_str("  请按上述问题改正后重新发送（附件中的“审核”副本已标出各处问题）。\n"),
            Some(SubStatus::Pending) => {
                b.push_str("  报表只有警告：如数据无误，请回复本邮件并在正文中写明说明（原因），报表即按说明接收；如有错漏，请改正后重新发送。\n")
            }
            _ => {}
        }
        if let Some(n) = &s.note {
            b.push_str(&format!("  注意：{n}\n"));
        }
        b.push('\n');
    }
    for s in &r.skipped {
        b.push_str(&format!("附件 {}：{}。\n", s.name, s.reason));
    }
    b.push_str("\n（本邮件由月报系统自动发送）\n");
    b
}

/// What became of the message, in one sentence for the record.
fn outcome_sentence(r: &MessageResult) -> String {
    let mut parts: Vec<String> = r.sheets.iter().map(|s| format!("{} {}", s.name, s.outcome)).collect();
    parts.extend(r.skipped.iter().map(|s| format!("{} 未处理", s.name)));
    if let Some(a) = &r.attention {
        parts.push(format!("需人工处理：{a}"));
    }
    if parts.is_empty() { "无附件".into() } else { parts.join("；") }
}

fn text(sum: &Summary) -> String {
    let mut out = String::new();
    for r in &sum.results {
        out.push_str(&format!(
            "== {}：{}（{}）\n",
            r.origin,
            if r.subject.is_empty() { "（无主题）" } else { &r.subject },
            r.from.as_deref().unwrap_or("发件人不明")
        ));
        let when = match (r.received_at, r.arrival) {
            (Some(t), ArrivalSource::Received) => format!("收到时间 {}（邮件服务器接收）", crate::time::label(t)),
            (Some(t), _) => format!("收到时间 {}（按邮件的发送日期）", crate::time::label(t)),
            (None, _) => "收到时间不明，按处理时间计".into(),
        };
        out.push_str(&format!("  {when}\n"));
        for s in &r.sheets {
            let whose = [s.region.clone(), s.period.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            out.push_str(&format!(
                "  附件 {}：{whose} {}{}\n",
                s.name,
                s.outcome,
                s.timeliness.as_ref().map(|t| format!("（{t}）")).unwrap_or_default()
            ));
            if let Some(n) = &s.note {
                out.push_str(&format!("    注意：{n}\n"));
            }
        }
        for s in &r.skipped {
            out.push_str(&format!("  附件 {}：{}\n", s.name, s.reason));
        }
        if let Some(a) = &r.attention {
            out.push_str(&format!("  需人工处理：{a}\n"));
        }
        if let Some(p) = &r.reply {
            out.push_str(&format!("  回信：{p}\n"));
        }
    }
    out.push_str(&format!(
        "\n共读取 {} 封邮件（已处理过而跳过 {}）：提交附件 {} 个（已接收 {}，待说明 {}，退回 {}），未提交 {}；写出回信 {} 封；需人工处理 {} 封。\n",
        sum.messages, sum.already_handled, sum.attachments_submitted, sum.accepted, sum.pending, sum.rejected, sum.not_submitted, sum.replies, sum.attention
    ));
    if let Some(f) = &sum.sent {
        out.push_str(&sent_line(f));
    }
    out
}

/// What the relay took, and what stays queued and why.
pub fn sent_line(f: &mail::relay::Flushed) -> String {
    let mut out = format!("经邮件服务器发出 {} 封", f.sent);
    if f.failed > 0 {
        out.push_str(&format!("；未能发出 {} 封，留在库中，下次运行时补发", f.failed));
    }
    out.push_str("。\n");
    for e in &f.errors {
        out.push_str(&format!("  {e}\n"));
    }
    out
}
