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
            eprintln!("错误：{}", yuebao::in_chinese(&e));
            ExitCode::from(2)
        }
    }
}
