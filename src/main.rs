//! The `yuebao` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic inside one file's validation is caught and reported as a finding; this hook
    // only makes the one stderr line readable for the people who see it.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("yuebao 内部错误：{info}（请把输入文件和这条信息交给系统维护人员）");
    }));
    let cli = yuebao::cli::Cli::parse();
    match yuebao::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("错误：{}", in_chinese(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, one after another as `{:#}` would give them, but with the
/// operating system's words for a failed read or write (English, whatever the locale) said in
/// Chinese: every command that reads a file the user named reports through here.
fn in_chinese(e: &anyhow::Error) -> String {
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
