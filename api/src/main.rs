//! The `stockade` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

// GraphQL responses are built from many small allocations; mimalloc serves them far
// faster than the system allocator (see bench/catalog).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack of each runtime worker thread: debug builds lay async state machines out with
/// large frames, and the deepest request paths come near tokio's default 2 MiB there.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(WORKER_STACK_BYTES).build();
    match runtime {
        Ok(runtime) => runtime.block_on(stockade::cli::run(stockade::cli::Cli::parse())),
        Err(e) => {
            eprintln!("stockade: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
