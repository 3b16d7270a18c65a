//! The `yunguan` binary: parses the command line and hands over to the library.

use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = yunguan::cli::Cli::parse();
    yunguan::telemetry::init("info");
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = ?error, "yunguan failed");
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
