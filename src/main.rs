#[tokio::main]
async fn main() -> std::process::ExitCode {
    agencyflow::cli::run().await
}
