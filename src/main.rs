#![forbid(unsafe_code)]

use clap::Parser;
use cuda_audit::cli::{Cli, run};
use cuda_audit::error::ExitStatus;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error.into()
            } else {
                ExitStatus::Clean.into()
            };
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            ExitStatus::Error.into()
        }
    }
}
