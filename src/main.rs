//! The `yunguan` binary: parses the command line and hands over to the library.

use clap::Parser;

/// jemalloc returns freed memory to the system (glibc's per-thread arenas kept every Argon2
/// hash's 19 MiB: 200 MiB idle after the demo seed) and leaves untouched buffer pages
/// unresident, which keeps idle WebSocket connections small. Its background threads purge
/// freed pages on time even when the server is idle (without them, purging waited for later
/// allocations), so the memory of a burst of events comes back.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = yunguan::cli::Cli::parse();
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = ?error, "yunguan failed");
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
