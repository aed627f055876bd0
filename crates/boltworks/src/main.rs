//! The `boltworks` command: `serve` runs the hub; `dev ...` drives a running regtest hub;
//! `bench` measures start-up and payment latency.

use clap::{Parser, Subcommand};

use boltworks::app::App;
use boltworks::cli::dev::DevCommand;
use boltworks::config::ServeArgs;

#[derive(Parser)]
#[command(
    name = "boltworks",
    version,
    about = "One Lightning node, five service APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub (defaults: regtest, embedded devchain, SQLite in ./data, HTTP on 127.0.0.1:8080).
    Serve(Box<ServeArgs>),
    /// Call the /dev API of a running regtest hub.
    Dev {
        /// The hub's base URL.
        #[arg(long, env = "BOLTWORKS_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Operator commands against a running hub (notifications, redelivery, webhook secrets).
    Admin {
        /// The hub's base URL.
        #[arg(long, env = "BOLTWORKS_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The operator token (default: read from DATA_DIR/admin.token).
        #[arg(long, env = "BOLTWORKS_ADMIN_TOKEN")]
        token: Option<String>,
        /// The hub's data directory, where admin.token is kept.
        #[arg(long, env = "BOLTWORKS_DATA_DIR", default_value = "./data")]
        data_dir: std::path::PathBuf,
        #[command(subcommand)]
        command: boltworks::cli::admin::AdminCommand,
    },
    /// Measure: time from serve on an empty data dir to ready, and payment latency (use --release).
    Bench(boltworks::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line that names the problem; --help shows the rest.
            let first = e
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .to_string();
            eprintln!("{first}");
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::SUCCESS;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(*args).await,
            Command::Dev { url, command } => boltworks::cli::dev::run(&url, command).await,
            Command::Admin {
                url,
                token,
                data_dir,
                command,
            } => {
                let token = boltworks::cli::admin::resolve_token(token, &data_dir)?;
                boltworks::cli::admin::run(&url, &token, command).await
            }
            Command::Bench(args) => boltworks::bench::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = match args.validate() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    boltworks::init_logging(config.log_json);
    let app = App::start(config).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    app.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
