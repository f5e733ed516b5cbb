//! The `stockade` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    stockade::cli::run(stockade::cli::Cli::parse()).await
}
