//! The `yuebao` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic inside one file's validation is caught and reported as a finding; this hook
    // only makes the one stderr line readable for the people who see it.
    std::panic::set_hook(Box::new(|info| {
        // The reader of the output went away (`yuebao regions 000000 | head`): stop as a
        // program killed by SIGPIPE would, quietly. (SIGPIPE itself stays ignored: the reader
        // pool and the portal need a closed pipe or socket to be an error, not a death.)
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
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
