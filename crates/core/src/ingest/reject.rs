//! Why a file cannot be read, in words a county statistician can act on: what the file is and
//! what to do. Library wording (calamine's, zip's) is kept apart as `detail`, for maintainers.

use super::sniff::Format;
use crate::finding::Code;
use crate::limits::{Limit, Limits};
use serde::{Deserialize, Serialize};

/// Kinds of path that are not regular files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Special {
    Directory,
    Fifo,
    Device,
    Socket,
    Other,
}

impl Special {
    pub fn of(t: &std::fs::FileType) -> Special {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Special::Fifo;
            }
            if t.is_char_device() || t.is_block_device() {
                return Special::Device;
            }
            if t.is_socket() {
                return Special::Socket;
            }
        }
        if t.is_dir() { Special::Directory } else { Special::Other }
    }
}

/// What a file turned out to be when it is not a spreadsheet this program reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Foreign {
    Pdf,
    Image(String),
    Word,
    Presentation,
    Ofd,
    /// A zip archive that is no workbook; the names of what it holds (first few).
    Zip(Vec<String>),
    /// RAR, 7-Zip or gzip.
    Archive(String),
    Excel2003Xml,
    /// An Office compound file that holds no workbook (nor a known document).
    OtherOffice,
    /// A web page that has no table in it.
    HtmlWithoutTable,
    Unknown,
}

/// One reason a file is refused before its cells are looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unreadable {
    Missing,
    Io {
        detail: String,
    },
    NotRegular {
        kind: Special,
    },
    DanglingLink,
    Empty,
    OverLimit {
        limit: Limit,
        found: Option<String>,
    },
    Encrypted,
    NotSpreadsheet {
        kind: Foreign,
    },
    Truncated {
        format: Format,
        detail: String,
    },
    Damaged {
        format: Format,
        detail: String,
    },
    /// A reader crashed or aborted on the file.
    Crashed {
        detail: String,
    },
}

impl Unreadable {
    pub fn over(limit: Limit) -> Unreadable {
        Unreadable::OverLimit { limit, found: None }
    }

    pub fn code(&self) -> Code {
        match self {
            Unreadable::Missing | Unreadable::Io { .. } | Unreadable::Crashed { .. } => Code::FileUnreadable,
            Unreadable::Empty => Code::EmptyFile,
            Unreadable::OverLimit { .. } => Code::OverLimit,
            Unreadable::NotRegular { .. } | Unreadable::DanglingLink => Code::NotRegularFile,
            Unreadable::Encrypted => Code::Encrypted,
            Unreadable::NotSpreadsheet { .. } => Code::NotSpreadsheet,
            Unreadable::Truncated { .. } | Unreadable::Damaged { .. } => Code::Damaged,
        }
    }

    /// A stable key for JSON consumers, finer than the code.
    pub fn reason(&self) -> String {
        match self {
            Unreadable::Missing => "missing".into(),
            Unreadable::Io { .. } => "io".into(),
            Unreadable::NotRegular { kind } => format!("not_regular:{}", serde_plain(kind)),
            Unreadable::DanglingLink => "dangling_link".into(),
            Unreadable::Empty => "empty".into(),
            Unreadable::OverLimit { limit, .. } => format!("limit:{}", limit.key()),
            Unreadable::Encrypted => "encrypted".into(),
            Unreadable::NotSpreadsheet { kind } => format!(
                "not_spreadsheet:{}",
                match kind {
                    Foreign::Pdf => "pdf",
                    Foreign::Image(_) => "image",
                    Foreign::Word => "word",
                    Foreign::Presentation => "presentation",
                    Foreign::Ofd => "ofd",
                    Foreign::Zip(_) => "zip",
                    Foreign::Archive(_) => "archive",
                    Foreign::Excel2003Xml => "excel2003_xml",
                    Foreign::OtherOffice => "other_office",
                    Foreign::HtmlWithoutTable => "html_without_table",
                    Foreign::Unknown => "unknown",
                }
            ),
            Unreadable::Truncated { .. } => "truncated".into(),
            Unreadable::Damaged { .. } => "damaged".into(),
            Unreadable::Crashed { .. } => "crashed".into(),
        }
    }

    /// What the library said, for maintainers; never part of the message.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Unreadable::Io { detail } | Unreadable::Truncated { detail, .. } | Unreadable::Damaged { detail, .. } | Unreadable::Crashed { detail } => {
                Some(detail.as_str()).filter(|d| !d.is_empty())
            }
            _ => None,
        }
    }

    /// One plain Chinese sentence: what the file is and what to do.
    pub fn message(&self, limits: &Limits) -> String {
        const RESAVE: &str = "请用 Excel 或 WPS 打开后另存为 xlsx 再报送";
        match self {
            Unreadable::Missing => "文件不存在，请检查文件名和所在文件夹".into(),
            Unreadable::Io { .. } => "无法读取文件（可能没有读取权限，或正被其他程序占用），请关闭占用它的程序、检查权限后重试".into(),
            Unreadable::NotRegular { kind } => match kind {
                Special::Directory => "这是一个文件夹，不是文件；请报送其中的表格文件".into(),
                Special::Fifo => "这是命名管道（FIFO），不是普通文件，读取它可能永远不会结束；请报送表格文件本身".into(),
                Special::Device => "这是设备文件（如 /dev/zero），不是普通文件；请报送表格文件本身".into(),
                Special::Socket => "这是套接字，不是普通文件；请报送表格文件本身".into(),
                Special::Other => "这不是普通文件；请报送表格文件本身".into(),
            },
            Unreadable::DanglingLink => "这是一个链接（快捷方式），它指向的文件已不存在；请报送表格文件本身".into(),
            Unreadable::Empty => "空文件（0 字节），可能保存或复制时出错；请重新保存后再报送".into(),
            Unreadable::OverLimit { limit, found } => {
                let found = found.as_deref().map(|f| format!("（{f}）")).unwrap_or_default();
                let what = limit.describe(limits);
                match limit {
                    Limit::FileSize | Limit::BytesRead => {
                        format!("文件超过{what}{found}，未读取；请确认没有选错文件，或删去无关的工作表、图片后另存再报送")
                    }
                    Limit::EntryInflated | Limit::TotalInflated => {
                        format!("文件解压后的内容超过{what}{found}，已停止读取；这不像正常的报表，请用 Excel 或 WPS 另存为 xlsx 后再报送")
                    }
                    Limit::Cells => format!("文件中有内容的单元格超过{what}{found}，已停止读取；请删去无关的工作表和内容后另存再报送"),
                    Limit::CellText => format!("有单元格的内容超过{what}{found}，这不是正常的表格内容；请检查文件是否选错或已损坏"),
                    Limit::Time => format!("处理此文件超过{what}，已停止；文件可能已损坏或内容过多，{RESAVE}"),
                    Limit::Memory => format!("读取此文件需要的内存超过{what}，已停止；文件可能已损坏或内容过多，{RESAVE}"),
                }
            }
            Unreadable::Encrypted => {
                "文件设置了打开密码，无法读取；请在 Excel 或 WPS 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存再报送".into()
            }
            Unreadable::NotSpreadsheet { kind } => match kind {
                Foreign::Pdf => "这是 PDF 文件，不是 Excel 表格；请报送 Excel 或 WPS 填写的原表（xlsx 或 xls），不要报送打印成的 PDF 或扫描件".into(),
                Foreign::Image(what) => format!("这是图片（{what}），不是 Excel 表格；请报送 Excel 或 WPS 填写的原表，不要报送照片或截图"),
                Foreign::Word => "这是 Word 文档，不是 Excel 表格；请把统计表填在 Excel 或 WPS 表格中报送".into(),
                Foreign::Presentation => "这是 PowerPoint 演示文稿，不是 Excel 表格；请报送 Excel 或 WPS 填写的原表".into(),
                Foreign::Ofd => "这是 OFD 版式文件，不是 Excel 表格；请报送 Excel 或 WPS 填写的原表".into(),
                Foreign::Zip(names) if names.is_empty() => "这是一个空的压缩包，不是 Excel 表格".into(),
                Foreign::Zip(names) => format!("这是压缩包（内有 {}），不是 Excel 表格；请解压后报送其中的表格", names.join("、")),
                Foreign::Archive(what) => format!("这是 {what} 压缩包，不是 Excel 表格；请解压后报送其中的表格"),
                Foreign::Excel2003Xml => "这是 Excel 2003 XML 表格，本系统不能读取；请用 Excel 或 WPS 打开后另存为 xlsx 再报送".into(),
                Foreign::OtherOffice => "这是 Office 文件，但其中没有 Excel 工作表；请报送 Excel 或 WPS 填写的原表".into(),
                Foreign::HtmlWithoutTable => "这是网页文件（HTML），其中没有表格；请报送 Excel 或 WPS 填写的原表".into(),
                Foreign::Unknown => "文件内容无法识别：不是 Excel、WPS 或 OpenDocument 表格，也不是 CSV、文本或网页表格；请确认选对了文件".into(),
            },
            Unreadable::Truncated { format, .. } => format!(
                "文件不完整（可能下载或复制时中断），{}的后半部分缺失；请重新保存或重新下载后再报送",
                format.label()
            ),
            Unreadable::Damaged { format, .. } => format!("{}已损坏，无法读取；{RESAVE}", format.label()),
            Unreadable::Crashed { .. } => format!("读取此文件时出错，文件可能已损坏；{RESAVE}，并把原文件交给系统维护人员"),
        }
    }
}

/// `12.3 MB`.
pub fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
}

fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason speaks Chinese, carries no library wording, and keeps details apart.
    #[test]
    fn messages_are_plain_chinese() {
        let l = Limits::default();
        let all = [
            Unreadable::Missing,
            Unreadable::Io {
                detail: "Permission denied (os error 13)".into(),
            },
            Unreadable::NotRegular { kind: Special::Fifo },
            Unreadable::NotRegular { kind: Special::Device },
            Unreadable::NotRegular { kind: Special::Directory },
            Unreadable::DanglingLink,
            Unreadable::Empty,
            Unreadable::over(Limit::Time),
            Unreadable::over(Limit::Memory),
            Unreadable::over(Limit::Cells),
            Unreadable::over(Limit::EntryInflated),
            Unreadable::Encrypted,
            Unreadable::NotSpreadsheet { kind: Foreign::Pdf },
            Unreadable::NotSpreadsheet {
                kind: Foreign::Zip(vec!["兰山区.xlsx".into()]),
            },
            Unreadable::Truncated {
                format: Format::Xlsx,
                detail: "invalid Zip archive: Could not find EOCD".into(),
            },
            Unreadable::Damaged {
                format: Format::Xls,
                detail: "Xls error: Cfb error: Invalid OLE signature".into(),
            },
            Unreadable::Crashed {
                detail: "attempt to multiply with overflow".into(),
            },
        ];
        for u in &all {
            let m = u.message(&l);
            assert!(m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{m}");
            for english in ["error", "Error", "invalid", "Invalid", "EOCD", "Cfb", "overflow", "denied"] {
                assert!(!m.contains(english), "library wording in {m}");
            }
            let back: Unreadable = serde_json::from_str(&serde_json::to_string(u).unwrap()).unwrap();
            assert_eq!(&back, u);
        }
        assert_eq!(all[1].detail(), Some("Permission denied (os error 13)"));
        assert!(Unreadable::over(Limit::Cells).message(&l).contains("2000000"));
    }
}
