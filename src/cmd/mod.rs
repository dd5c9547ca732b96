//! One file per subcommand: glue between the command line and the library.

pub mod deadline;
pub mod probe;
pub mod regions;
pub mod rollup;
pub mod sample;
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
