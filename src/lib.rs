//! yuebao（月报）: the front ends of the monthly cycle of the 建档立卡农村贫困人口就业与社会保障统计表
//! — the command line and the portal — over the workflow (`yuebao-workflow`), which alone holds
//! the store, and the core and the rollups it and they are built on.

pub mod cli;
pub mod cmd;
pub mod mail;
pub mod web;

// The layers below the front ends: the core (which the command line also uses on its own, for
// `validate`, `rollup` of files, `template`, `sample`) and the workflow; never the store.
pub use yuebao_core::{finding, ingest, limits, period, register, sample, schema, text, time, validate};
pub use yuebao_rollup::{aggregate, ledger, workbook};
pub use yuebao_workflow as workflow;

use anyhow::Context;
use schema::Schemas;

/// Loads the schemas the user chose (or the built-in ones), for the province chosen (a code, or
/// a province's name such as 河南省 or 河南), or else the one `site.toml` names.
pub fn load_schemas(dir: Option<&std::path::Path>, province: Option<&str>) -> anyhow::Result<Schemas> {
    let province = province.map(province_code).transpose()?;
    match dir {
        Some(d) => Schemas::from_dir(d, province.as_deref()).with_context(|| format!("无法加载模式目录 {}", d.display())),
        None => Ok(Schemas::embedded_for(province.as_deref())?),
    }
}

/// A province's code from what the user wrote for `--province`.
fn province_code(text: &str) -> anyhow::Result<String> {
    let t = text.trim();
    if t == schema::divisions::NATION || t == "全国" {
        return Ok(schema::divisions::NATION.to_string());
    }
    let found: Vec<_> = schema::divisions::provinces()
        .into_iter()
        .filter(|&(code, name)| code == t || name == t || (t.chars().count() >= 2 && name.starts_with(t)))
        .collect();
    match found.as_slice() {
        [(code, _)] => Ok(code.to_string()),
        _ => anyhow::bail!("--province “{t}”不是一个省级行政区划：请给 6 位代码（如 410000）或省名（如 河南省）"),
    }
}

/// Runs one command; the returned number is the process exit code (0 clean, 1 findings of
/// severity error). Errors mean the tool itself failed (exit 2).
pub fn run(cli: cli::Cli) -> anyhow::Result<i32> {
    use cli::Command;
    // A reader process needs no schemas: it starts as fast as it can.
    if let Command::Probe { serve, memory_mb } = &cli.command {
        return Ok(cmd::probe::run(*serve, *memory_mb));
    }
    let schemas = load_schemas(cli.schemas.as_deref(), cli.province.as_deref())?;
    let clock = cmd::Clock::from_arg(cli.now.as_deref())?;
    let code = command(&cli, &schemas, &clock);
    ingest::isolate::shutdown();
    code
}

fn command(cli: &cli::Cli, schemas: &Schemas, clock: &cmd::Clock) -> anyhow::Result<i32> {
    use cli::Command;
    match &cli.command {
        Command::Validate(a) => cmd::validate::run(a, schemas),
        Command::Regions(a) => cmd::regions::run(a, schemas),
        Command::Deadline(a) => cmd::deadline::run(a, schemas),
        Command::Template(a) => cmd::template::run(a, schemas),
        Command::Sample(a) => cmd::sample::run(a, schemas),
        Command::Rollup(a) => cmd::rollup::run(a, schemas, clock),
        Command::Submit(a) => cmd::submit::run(a, schemas, clock),
        Command::Status(a) => cmd::status::run(a, schemas, clock),
        Command::History(a) => cmd::history::run(a, schemas, clock),
        Command::Review(c) => cmd::review::run(c, schemas, clock),
        Command::Report(a) => cmd::report::run(a, schemas, clock),
        Command::Baseline(c) => cmd::baseline::run(c, schemas, clock),
        Command::Ledger(c) => cmd::ledger::run(c, schemas, clock),
        Command::Inbox(a) => cmd::inbox::run(a, schemas, clock),
        Command::Contacts(c) => cmd::contacts::run(c, schemas, clock),
        Command::Remind(a) => cmd::remind::run(a, schemas, clock),
        Command::Annual(a) => cmd::annual::run(a, schemas, clock),
        Command::Verify { store, expect } => cmd::history::verify(store, expect.as_deref(), schemas, clock),
        Command::Backup { store, output } => cmd::history::backup(store, output, schemas, clock),
        Command::Audit(a) => cmd::audit::run(a, schemas, clock),
        Command::Serve(a) => cmd::serve::run(a, schemas, cli.now.as_deref()),
        Command::User(c) => cmd::user::run(c, schemas, clock),
        Command::Export { output, store } => cmd::history::export(store, output, schemas, clock),
        Command::Probe { serve, memory_mb } => Ok(cmd::probe::run(*serve, *memory_mb)),
    }
}

/// The error and its causes, one after another as `{:#}` would give them, but with the
/// operating system's words for a failed read or write (English, whatever the locale) said in
/// Chinese: every command that reads a file the user named reports through here.
pub fn in_chinese(e: &anyhow::Error) -> String {
    e.chain()
        .map(|cause| match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io_words(io),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join("：")
}

fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let words = match e.kind() {
        K::NotFound => "找不到该文件或目录",
        K::PermissionDenied => "没有读写权限",
        K::AlreadyExists => "已经存在",
        K::IsADirectory => "这是一个目录，不是文件",
        K::NotADirectory => "路径中有一段不是目录",
        K::StorageFull => "磁盘已满",
        K::ReadOnlyFilesystem => "文件系统只读",
        K::InvalidData | K::UnexpectedEof => "文件内容不完整或无法读取",
        _ => "",
    };
    match (words, e.raw_os_error()) {
        ("", Some(code)) => format!("读写失败（系统错误码 {code}）"),
        ("", None) => "读写失败".to_string(),
        (w, _) => w.to_string(),
    }
}
