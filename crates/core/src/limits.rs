//! The resource limits every handed-in file is read under, in one place: their defaults, their
//! command-line flags (shown with the defaults in `--help`) and the Chinese names used when a
//! file is rejected for going over one.

use serde::{Deserialize, Serialize};

const MB: u64 = 1 << 20;

/// How much one file may cost. A file over a limit is rejected with a message naming the limit;
/// the rest of the batch goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
pub struct Limits {
    /// 单个文件大小上限（MB）
    #[arg(long = "max-file-mb", value_name = "MB", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub file_mb: u64,

    /// 从一个文件读取的字节数上限（MB）：文件在读取中变大、或读取不会结束时，读到此数即停止
    #[arg(long = "max-read-mb", value_name = "MB", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub read_mb: u64,

    /// 压缩格式（xlsx、xlsb、ods）中每个部件解压后的大小上限（MB）
    #[arg(long = "max-entry-mb", value_name = "MB", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub entry_mb: u64,

    /// 压缩格式中全部部件解压后的总大小上限（MB）
    #[arg(long = "max-inflated-mb", value_name = "MB", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub inflated_mb: u64,

    /// 实际有内容的单元格数上限（按单元格个数计，不按地址范围计）
    #[arg(long = "max-cells", value_name = "N", default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub cells: u64,

    /// 每个文件的处理时间上限（秒）
    #[arg(long = "max-seconds", value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// 读取每个文件的进程可用内存上限（MB）
    #[arg(long = "max-memory-mb", value_name = "MB", default_value_t = 160, value_parser = clap::value_parser!(u64).range(64..=65536))]
    pub memory_mb: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_mb: 50,
            read_mb: 50,
            entry_mb: 200,
            inflated_mb: 200,
            cells: 2_000_000,
            seconds: 10,
            memory_mb: 160,
        }
    }
}

impl Limits {
    /// A county's register is larger than a monthly sheet: tens of thousands of persons, some
    /// forty columns each. It is read under limits of its own, still bounded.
    pub fn register() -> Limits {
        Limits {
            file_mb: 500,
            read_mb: 500,
            entry_mb: 8192,
            inflated_mb: 8192,
            cells: 100_000_000,
            seconds: 600,
            memory_mb: 8192,
        }
    }
}

/// Which limit a file went over; its Chinese name and the configured value make the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    FileSize,
    BytesRead,
    EntryInflated,
    TotalInflated,
    Cells,
    /// A single cell's text longer than Excel allows (32,767 characters).
    CellText,
    Time,
    Memory,
}

/// Excel's own ceiling on the characters in one cell; a longer field is not a spreadsheet cell.
pub const MAX_CELL_CHARS: usize = 32_767;

impl Limit {
    /// The limit as a sentence fragment with its value: `文件大小上限 50 MB`.
    pub fn describe(self, l: &Limits) -> String {
        match self {
            Limit::FileSize => format!("文件大小上限 {} MB（--max-file-mb）", l.file_mb),
            Limit::BytesRead => format!("读取字节数上限 {} MB（--max-read-mb）", l.read_mb),
            Limit::EntryInflated => format!("每个部件解压后大小上限 {} MB（--max-entry-mb）", l.entry_mb),
            Limit::TotalInflated => format!("解压后总大小上限 {} MB（--max-inflated-mb）", l.inflated_mb),
            Limit::Cells => format!("单元格数上限 {} 个（--max-cells）", l.cells),
            Limit::CellText => format!("单元格内容上限 {MAX_CELL_CHARS} 个字符（Excel 的上限）"),
            Limit::Time => format!("处理时间上限 {} 秒（--max-seconds）", l.seconds),
            Limit::Memory => format!("内存上限 {} MB（--max-memory-mb）", l.memory_mb),
        }
    }

    /// Stable key for JSON consumers.
    pub fn key(self) -> &'static str {
        match self {
            Limit::FileSize => "file_size",
            Limit::BytesRead => "bytes_read",
            Limit::EntryInflated => "entry_inflated",
            Limit::TotalInflated => "total_inflated",
            Limit::Cells => "cells",
            Limit::CellText => "cell_text",
            Limit::Time => "time",
            Limit::Memory => "memory",
        }
    }
}

impl Limits {
    pub fn file_bytes(&self) -> u64 {
        self.file_mb * MB
    }
    pub fn read_bytes(&self) -> u64 {
        self.read_mb * MB
    }
    pub fn entry_bytes(&self) -> u64 {
        self.entry_mb * MB
    }
    pub fn inflated_bytes(&self) -> u64 {
        self.inflated_mb * MB
    }
    pub fn memory_bytes(&self) -> u64 {
        self.memory_mb * MB
    }
    pub fn time(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }
}
