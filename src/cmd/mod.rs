//! One file per subcommand: glue between the command line and the library.

pub mod annual;
pub mod audit;
pub mod baseline;
pub mod contacts;
pub mod deadline;
pub mod history;
pub mod inbox;
pub mod ledger;
mod pipeline;
pub mod probe;
pub mod regions;
pub mod remind;
pub mod report;
pub mod review;
pub mod rollup;
pub mod sample;
pub mod serve;
pub mod status;
pub mod submit;
pub mod template;
pub mod user;
pub mod validate;

use crate::schema::{Region, Schemas};
use crate::time::Time;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Resolves a `--region` argument (code or name) or says in Chinese why it cannot.
pub fn region_arg<'a>(schemas: &'a Schemas, text: &str) -> anyhow::Result<&'a Region> {
    crate::workflow::scope::region_arg(schemas, text).map_err(|e| anyhow::anyhow!("--region {e}（可用 yuebao regions 查看）"))
}

/// What a unit that fills the township sheet itself is called in a message.
pub fn unit_kind(r: &Region) -> &'static str {
    if r.level == crate::schema::Level::County {
        "县区"
    } else {
        "不设县区的市（按乡镇、街道填报）"
    }
}

/// `--region` where it defaults to the installation's province.
pub fn region_or_province<'a>(schemas: &'a Schemas, text: Option<&str>) -> anyhow::Result<&'a Region> {
    match text {
        Some(t) => region_arg(schemas, t),
        None => Ok(schemas.province()),
    }
}

/// Hints as the command line gives them: the flags, named as flags in messages.
pub fn hints(region: Option<String>, period: Option<crate::period::Period>, limits: crate::limits::Limits) -> crate::validate::Hints {
    crate::validate::Hints {
        region,
        period,
        isolate_readers: true,
        limits,
        region_source: "命令行参数 --region ".into(),
        period_source: "命令行参数 --period ".into(),
    }
}

/// A mail server's password: its environment variable, else one line of standard input
/// (`--password-stdin`), else a prompt without echo. Never printed, logged or stored.
pub fn mail_password(env: &str, what: &str, url: &crate::mail::relay::ServerUrl, from_stdin: bool) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(env)
        && !p.is_empty()
    {
        return Ok(p);
    }
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("无法从标准输入读取密码")?;
        let p = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(!p.is_empty(), "标准输入中没有 {what} 的密码（--password-stdin 每行一个）");
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{what} {} 的密码：", url.label())).context("无法读取密码");
    }
    anyhow::bail!("没有 {what} 的密码：请设置环境变量 {env}，或用 --password-stdin 从标准输入给出，或在终端中运行以便输入")
}

/// The city's outgoing server for `--smtp`, its password asked for now.
pub fn relay(args: &crate::cli::MailServerArgs, from: &str) -> anyhow::Result<Option<crate::mail::relay::Relay>> {
    let Some(text) = &args.smtp else { return Ok(None) };
    let url = crate::mail::relay::ServerUrl::parse(text, ("smtps", 465), ("smtp", 587))?;
    let password = match &url.user {
        Some(_) => Some(mail_password("YUEBAO_SMTP_PASSWORD", "SMTP", &url, args.password_stdin)?),
        None => None,
    };
    Ok(Some(crate::mail::relay::Relay::new(&url, password.as_deref(), args.ca_file.as_deref(), from)?))
}

/// The command line's "now": `--now`, else the present, in Beijing time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub now: Time,
}

impl Clock {
    pub fn from_arg(arg: Option<&str>) -> anyhow::Result<Clock> {
        Ok(Clock {
            now: match arg {
                Some(t) => time_arg("--now", t)?,
                None => crate::time::now(),
            },
        })
    }
}

/// Expands directories into the entries directly inside them that have a readable extension,
/// sorted by name: regular files, and links and special files too, which the reader then
/// rejects with their reason, so that nothing with a spreadsheet's name is skipped silently.
/// What else the directory holds is named on stderr.
pub fn expand_inputs(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            let mut skipped = Vec::new();
            for entry in std::fs::read_dir(input).with_context(|| format!("无法读取目录 {}", input.display()))? {
                let entry = entry.with_context(|| format!("无法读取目录 {}", input.display()))?;
                let path = input.join(entry.file_name());
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if crate::ingest::is_supported(&path) {
                    found.push(path);
                } else if !is_dir && looks_handed_in(&path) {
                    skipped.push(entry.file_name().to_string_lossy().to_string());
                }
            }
            found.sort();
            skipped.sort();
            if found.is_empty() {
                eprintln!("提示：目录 {} 中没有表格文件（{}）", input.display(), crate::ingest::EXTENSIONS.join("、"));
            }
            if !skipped.is_empty() {
                let shown: Vec<&str> = skipped.iter().take(10).map(String::as_str).collect();
                let more = if skipped.len() > 10 {
                    format!(" 等 {} 个", skipped.len())
                } else {
                    String::new()
                };
                eprintln!(
                    "提示：目录 {} 中另有不能作为报表读取的文件，未审核：{}{more}",
                    input.display(),
                    shown.join("、")
                );
            }
            files.extend(found);
        } else {
            // A missing or odd file is reported as a finding, not a tool failure.
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// Whether a file the batch does not read may still be someone's submission, worth naming: an
/// Office lock file, a scan or photo, a document, an archive. A README or a .DS_Store is not.
fn looks_handed_in(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    name.starts_with("~$")
        || matches!(
            ext.as_str(),
            "pdf"
                | "ofd"
                | "doc"
                | "docx"
                | "wps"
                | "et"
                | "ett"
                | "xlt"
                | "xltx"
                | "numbers"
                | "jpg"
                | "jpeg"
                | "png"
                | "bmp"
                | "gif"
                | "tif"
                | "tiff"
                | "zip"
                | "rar"
                | "7z"
                | "xml"
        )
}

/// Creates the directory a workbook goes into, saying which one failed.
pub fn ensure_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))
}

/// A progress bar on stderr for batches, drawn only when stderr is a terminal (so logs and
/// pipes stay clean) and not asked to be quiet.
pub fn progress(len: usize, what: &str, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:32}] {pos}/{len} 已用 {elapsed}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    indicatif::ProgressBar::new(len as u64).with_style(style).with_message(what.to_string())
}

/// Opens the store named by `--data` / `YUEBAO_DATA` / `./yuebao-data`, creating it: for the
/// commands that write (submit, baseline import).
pub fn open_store(args: &crate::cli::StoreArgs, schemas: &Schemas) -> anyhow::Result<crate::workflow::Data> {
    let dir = crate::workflow::data::data_dir(args.dir.as_deref());
    Ok(crate::workflow::Data::open(&dir, audit_key(args)?, schemas)?)
}

/// The audit key named by `--audit-key-file` / `YUEBAO_AUDIT_KEY_FILE`, if any.
pub fn audit_key(args: &crate::cli::StoreArgs) -> anyhow::Result<Option<crate::workflow::data::AuditKey>> {
    args.audit_key_file
        .as_deref()
        .map(|f| crate::workflow::data::AuditKey::read(f).map_err(anyhow::Error::msg))
        .transpose()
}

/// Opens an existing store for the commands that only read: a mistyped `--data` should say so,
/// not show an empty store full of 未报.
pub fn open_existing_store(args: &crate::cli::StoreArgs, schemas: &Schemas) -> anyhow::Result<crate::workflow::Data> {
    let dir = crate::workflow::data::data_dir(args.dir.as_deref());
    let file = dir.join(crate::workflow::data::DB_FILE);
    if !file.is_file() && !dir.is_file() {
        anyhow::bail!(
            "数据目录 {} 中没有数据库 {}：请检查 --data（或环境变量 YUEBAO_DATA），或先用 yuebao submit 提交报表",
            dir.display(),
            crate::workflow::data::DB_FILE
        );
    }
    Ok(crate::workflow::Data::open(&dir, audit_key(args)?, schemas)?)
}

/// A workflow refusal as a command's answer: the sentence on stderr and exit code 1; the store
/// itself failing is the tool failing (exit 2).
pub fn refused(e: crate::workflow::WorkflowError) -> anyhow::Result<i32> {
    match e {
        crate::workflow::WorkflowError::Store(e) => Err(e.into()),
        e => {
            eprintln!("{e}");
            Ok(1)
        }
    }
}

/// Parses a time the user typed (see `time::parse`), naming the flag when it cannot.
pub fn time_arg(flag: &str, text: &str) -> anyhow::Result<Time> {
    crate::time::parse(text).ok_or_else(|| anyhow::anyhow!("{flag} “{text}”不是可识别的时间，请写作 2026-11-04 16:30（北京时间）"))
}

/// Pads `s` with spaces to `width` terminal columns (Chinese characters count two).
pub fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}
