//! The `canopy` binary.

use clap::Parser;

/// mimalloc: with glibc's allocator, malloc and free were about a third of the gateway's CPU
/// under load (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gateway::cli::Cli::parse();
    match gateway::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canopy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
