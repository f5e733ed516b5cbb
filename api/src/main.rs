//! The `stockade` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

// GraphQL responses are built from many small allocations; mimalloc serves them far
// faster than the system allocator (see bench/catalog).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    stockade::cli::run(stockade::cli::Cli::parse()).await
}
