use std::time::Duration;

/// How long a task still running once the service has stopped may keep the process.
const STRAGGLER_WAIT: Duration = Duration::from_secs(1);

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("start the tokio runtime");
    let code = runtime.block_on(agencyflow::cli::run());
    // Dropping the runtime would wait for every worker, so a request computing without
    // yielding past the shutdown grace period would keep the process alive.
    runtime.shutdown_timeout(STRAGGLER_WAIT);
    code
}
