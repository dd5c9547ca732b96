//! Command-line definitions. The doc comments here are the help text users see.

use crate::period::Period;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// yuebao（月报）：建档立卡农村贫困人口就业与社会保障统计表的审核、汇总与报送工具。
///
/// 退出码：0 无错误；1 有文件存在错误（被退回）；2 工具本身运行失败。
#[derive(Debug, Parser)]
#[command(name = "yuebao", version)]
pub struct Cli {
    /// 模式目录（含 forms/、regions/、calendar/ 三个子目录）；不指定时使用程序内置的模式
    #[arg(long, global = true, env = "YUEBAO_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 审核县区报送的统计表（xlsx、xlsm、xls、ods、csv），逐个单元格指出问题
    Validate(ValidateArgs),
    /// 列出某个地区及其下辖的全部地区（代码、名称、级别、上级代码）
    Regions(RegionsArgs),
    /// 计算某个报告期的报送截止日（次月 5 日，遇节假日顺延）
    Deadline(DeadlineArgs),
    /// Internal: read one workbook in a child process, so that a reader crash on a damaged
    /// file costs that file, not the batch. Exit 0 readable, 3 unreadable.
    #[command(hide = true)]
    Probe { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// 每个问题一行，便于阅读
    Text,
    /// JSON，便于其他程序处理
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// 要审核的文件或目录（目录中的 xlsx、xlsm、xls、ods、csv 文件都会被审核）
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,

    /// 表内和文件名都没有填报单位时使用的地区（代码或名称，如 371302 或 兰山区）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 表内和文件名都没有报告期时使用的报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// 把每个文件的审核标注副本（问题单元格标色并加批注，另附“审核结果”工作表）写入此目录
    #[arg(long, value_name = "DIR")]
    pub annotate: Option<PathBuf>,

    /// 逐条列出提示（如空白单元格按 0 计），而不是按类汇总
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionsFormat {
    /// 缩进的树形列表
    Text,
    /// 每行：代码<TAB>名称<TAB>级别<TAB>上级代码
    Tsv,
}

#[derive(Debug, Args)]
pub struct RegionsArgs {
    /// 地区代码或名称；默认 370000（山东省）
    #[arg(default_value = "370000", value_name = "CODE")]
    pub code: String,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = RegionsFormat::Text)]
    pub format: RegionsFormat,
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// 报告期，如 2024-09 或 2024年9月
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
}
