//! The `stockade` command line. Configuration comes from the environment (see
//! `config`); subcommands pick what to do with it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::startup::{Application, open_database};

#[derive(Parser, Debug)]
#[command(name = "stockade", version, about = "GraphQL commerce backend that never oversells", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add the demo catalog (skips what is already there).
    Seed,
    /// Print the GraphQL schema (SDL) to stdout.
    PrintSchema,
    /// Print the normalised-cache configuration for clients (urql graphcache `keys`,
    /// Apollo `typePolicies`), as committed in `schema.cache-config.json`.
    PrintCacheConfig,
    /// Create an admin account (the first one, typically). The password is read from
    /// stdin with --password-stdin, else prompted for without echo.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Inventory maintenance.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
}

#[derive(Subcommand, Debug)]
enum InventoryCommand {
    /// Replay the stock ledger against every stock level. Exits 0 with a summary when
    /// all reconcile, 1 listing those that do not.
    Verify,
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    if let Some(Command::PrintSchema) = cli.command {
        print!("{}", stockade_graphql::sdl());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::PrintCacheConfig) = cli.command {
        print!("{}", stockade_graphql::cache_config());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    crate::telemetry::init(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => match open_database(&config, None).await {
            Ok(db) => {
                db.close().await;
                println!("migrations applied ({})", config.database.target.describe());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Seed => {
            let db = match open_database(&config, None).await {
                Ok(db) => db,
                Err(e) => return fail(e),
            };
            let result = stockade_domain::catalog::seed::seed_demo_catalog(&db, config.shop_currency).await;
            db.close().await;
            match result {
                Ok(report) => {
                    println!("seeded: {report}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("seeding failed: {e:#}")),
            }
        }
        Command::Inventory { command: InventoryCommand::Verify } => verify_inventory(config).await,
        Command::PrintSchema | Command::PrintCacheConfig => unreachable!("handled above"),
        Command::CreateAdmin { email, name, password_stdin } => create_admin(&config, &email, &name, password_stdin).await,
    }
}

async fn serve(config: Config) -> ExitCode {
    let summary = config.summary();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => return fail(e),
    };
    let addr = app.local_addr();
    tracing::info!("stockade {} listening on http://{addr} ({summary})", env!("CARGO_PKG_VERSION"));
    tracing::info!("GraphiQL: http://{addr}/graphql");
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("server error: {e}")),
    }
}

async fn create_admin(config: &Config, email: &str, name: &str, password_stdin: bool) -> ExitCode {
    let password = if password_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_line(&mut line) {
            return fail(format!("reading the password from stdin failed: {e}"));
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        match rpassword::prompt_password("Password for the new admin: ") {
            Ok(p) => p,
            Err(e) => return fail(format!("reading the password failed: {e} (use --password-stdin when not on a terminal)")),
        }
    };
    let db = match open_database(config, None).await {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    let keys = match stockade_domain::accounts::tokens::JwtKeys::load(config.auth.jwt_secret.as_ref(), &config.data_dir) {
        Ok((keys, _)) => std::sync::Arc::new(keys),
        Err(e) => return fail(format!("DATA_DIR: cannot keep the token signing key: {e}")),
    };
    let accounts = stockade_domain::accounts::AccountService::new(db.clone(), keys, Default::default());
    let result = accounts.create_user(email, &password, name, stockade_domain::accounts::Role::Admin).await;
    db.close().await;
    match result {
        Ok(user) => {
            println!("admin created: {} (id {})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot create the admin: {e}")),
    }
}

async fn verify_inventory(config: Config) -> ExitCode {
    // A check must not change what it checks: no migrations here.
    let db = match stockade_domain::db::Database::connect(&config.database.target, config.database.max_connections, None).await {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    match db.pending_migrations().await {
        Ok(0) => {}
        Ok(n) => {
            db.close().await;
            return fail(format!(
                "the database has {n} pending migration(s); run `stockade migrate` first (verify does not change the database)"
            ));
        }
        Err(e) => {
            db.close().await;
            return fail(format!("reading the applied migrations failed: {e}"));
        }
    }
    let settings = stockade_domain::inventory::InventorySettings::from_config(&config.inventory);
    let result = stockade_domain::inventory::InventoryService::new(db.clone(), settings).verify().await;
    db.close().await;
    match result {
        Ok(report) if report.is_ok() => {
            println!("inventory reconciles: {report}");
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for d in &report.discrepancies {
                println!("{d}");
            }
            eprintln!("stockade: inventory does not reconcile: {report}");
            ExitCode::from(1)
        }
        Err(e) => fail(format!("verifying the inventory failed: {e}")),
    }
}

/// One clear line on stderr, no backtrace.
fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("stockade: {error}");
    ExitCode::from(2)
}
