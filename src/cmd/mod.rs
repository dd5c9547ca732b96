//! One file per subcommand: glue between the command line and the library.

pub mod annual;
pub mod baseline;
pub mod deadline;
pub mod history;
pub mod probe;
pub mod regions;
pub mod rollup;
pub mod sample;
pub mod status;
pub mod submit;
pub mod template;
pub mod validate;

use crate::schema::regions::Resolve;
use crate::schema::{Region, Schemas};

/// Resolves a `--region` argument (code or name) or says in Chinese why it cannot.
pub fn region_arg<'a>(schemas: &'a Schemas, text: &str) -> anyhow::Result<&'a Region> {
    if let Some(r) = schemas.regions.get(text) {
        return Ok(r);
    }
    match schemas.regions.resolve(text) {
        Ok(r) => Ok(r),
        Err(Resolve::Ambiguous(c)) => anyhow::bail!("--region “{text}” 可能是 {}，请使用 6 位区划代码", c.join("或")),
        Err(Resolve::NotFound) => anyhow::bail!("--region “{text}” 不是已知的地区代码或名称（可用 yuebao regions 查看）"),
    }
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
pub fn open_store(args: &crate::cli::StoreArgs) -> anyhow::Result<crate::store::Store> {
    let dir = crate::store::data_dir(args.dir.as_deref());
    Ok(crate::store::Store::open(&dir)?)
}

/// Opens an existing store for the commands that only read: a mistyped `--data` should say so,
/// not show an empty store full of 未报.
pub fn open_existing_store(args: &crate::cli::StoreArgs) -> anyhow::Result<crate::store::Store> {
    let dir = crate::store::data_dir(args.dir.as_deref());
    let file = dir.join(crate::store::DB_FILE);
    if !file.is_file() {
        anyhow::bail!(
            "数据目录 {} 中没有数据库 {}：请检查 --data（或环境变量 YUEBAO_DATA），或先用 yuebao submit 提交报表",
            dir.display(),
            crate::store::DB_FILE
        );
    }
    Ok(crate::store::Store::open(&dir)?)
}

/// Parses a time the user typed, in Beijing time unless it carries an offset:
/// `2026-11-04 16:30`, `2026-11-04T16:30:00+08:00`, or a bare date (its first minute).
pub fn time_arg(flag: &str, text: &str) -> anyhow::Result<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
    let t = text.trim();
    let bj = crate::store::status::beijing();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Ok(x.with_timezone(&bj));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(bj.from_local_datetime(&n).single().expect("a fixed offset has no gaps"));
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            let n = d.and_hms_opt(0, 0, 0).expect("midnight exists");
            return Ok(bj.from_local_datetime(&n).single().expect("a fixed offset has no gaps"));
        }
    }
    anyhow::bail!("{flag} “{text}”不是可识别的时间，请写作 2026-11-04 16:30（北京时间）")
}

/// Now, in Beijing time.
pub fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&crate::store::status::beijing())
}

/// Pads `s` with spaces to `width` terminal columns (Chinese characters count two).
pub fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::time_arg;

    #[test]
    fn times_are_beijing_unless_they_say_otherwise() {
        let t = |s: &str| time_arg("--x", s).unwrap().to_rfc3339();
        assert_eq!(t("2026-11-04 16:30"), "2026-11-04T16:30:00+08:00");
        assert_eq!(t("2026-11-04T16:30:05"), "2026-11-04T16:30:05+08:00");
        assert_eq!(t("2026-11-04T08:30:00Z"), "2026-11-04T16:30:00+08:00");
        assert_eq!(t("2026年11月4日"), "2026-11-04T00:00:00+08:00");
        let e = time_arg("--received-at", "昨天下午").unwrap_err().to_string();
        assert!(e.contains("--received-at") && e.contains("昨天下午"), "{e}");
    }
}
