//! The `stockade` command line. Configuration comes from the environment (see
//! `config`); subcommands pick what to do with it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use stockade_domain::accounts::{AccountService, UserStatus};
use stockade_domain::db::Database;
use stockade_domain::error::Error;

use crate::config::Config;
use crate::startup::{Application, accounts_policy, open_database};

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
    Seed {
        /// Also add this many generated products (for measuring listing and search on
        /// a large catalog; the same number always gives the same products).
        #[arg(long, default_value_t = 0)]
        products: usize,
    },
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
    /// Account maintenance: end a sign-in lockout, reset a password.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// End the sign-in lockout of an account (after too many failed sign-ins) and
    /// forget its failed attempts.
    Unlock {
        /// The account's email address.
        email: String,
    },
    /// Set a new password for an account, sign out all its sessions (their refresh and
    /// access tokens stop working) and end its sign-in lockout. The password is read
    /// from stdin with --password-stdin, else prompted for without echo.
    ResetPassword {
        /// The account's email address.
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
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
        Command::Seed { products } => {
            let db = match open_database(&config, None).await {
                Ok(db) => db,
                Err(e) => return fail(e),
            };
            let result = async {
                let report = stockade_domain::catalog::seed::seed_demo_catalog(&db, config.shop_currency).await?;
                println!("seeded: {report}");
                if products > 0 {
                    stockade_domain::catalog::generate::seed_generated_products(&db, config.shop_currency, products).await?;
                    println!("generated: {products} products");
                }
                Ok::<_, Error>(())
            }
            .await;
            db.close().await;
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("seeding failed: {e:#}")),
            }
        }
        Command::Inventory { command: InventoryCommand::Verify } => verify_inventory(config).await,
        Command::PrintSchema | Command::PrintCacheConfig => unreachable!("handled above"),
        Command::CreateAdmin { email, name, password_stdin } => create_admin(&config, &email, &name, password_stdin).await,
        Command::User { command: UserCommand::Unlock { email } } => unlock_user(&config, &email).await,
        Command::User { command: UserCommand::ResetPassword { email, password_stdin } } => {
            reset_password(&config, &email, password_stdin).await
        }
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

/// A password from the first line of stdin (`--password-stdin`), else from a prompt
/// without echo. Never printed.
fn read_password(password_stdin: bool, prompt: &str) -> Result<String, String> {
    if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password from stdin failed: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        rpassword::prompt_password(prompt)
            .map_err(|e| format!("reading the password failed: {e} (use --password-stdin when not on a terminal)"))
    }
}

/// The account service over the configured database (migrated first, as `serve` does),
/// with the configured signing key and sign-in policy.
async fn account_service(config: &Config) -> Result<(Database, AccountService), String> {
    let db = open_database(config, None).await.map_err(|e| e.to_string())?;
    let keys = match stockade_domain::accounts::tokens::JwtKeys::load(config.auth.jwt_secret.as_ref(), &config.data_dir) {
        Ok((keys, _)) => std::sync::Arc::new(keys),
        Err(e) => {
            db.close().await;
            return Err(format!("DATA_DIR: cannot keep the token signing key: {e}"));
        }
    };
    let accounts = AccountService::new(db.clone(), keys, accounts_policy(config));
    Ok((db, accounts))
}

/// An account operation's error as one line: an unknown email says so, a database
/// error says what the database said.
fn account_error(e: Error, email: &str) -> String {
    match e {
        Error::NotFound { .. } => format!("no account has the email {}", email.trim()),
        Error::Db { source, .. } => format!("database error: {source}"),
        other => other.to_string(),
    }
}

async fn create_admin(config: &Config, email: &str, name: &str, password_stdin: bool) -> ExitCode {
    let password = match read_password(password_stdin, "Password for the new admin: ") {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let (db, accounts) = match account_service(config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let result = accounts.create_user(email, &password, name, stockade_domain::accounts::Role::Admin).await;
    db.close().await;
    match result {
        Ok(user) => {
            println!("admin created: {} (id {})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot create the admin: {}", account_error(e, email))),
    }
}

async fn unlock_user(config: &Config, email: &str) -> ExitCode {
    let (db, accounts) = match account_service(config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let result = accounts.unlock(email).await;
    db.close().await;
    match result {
        Ok(unlocked) => {
            if unlocked.was_locked {
                println!("unlocked: {} can sign in again (its failed sign-ins are forgotten)", unlocked.user.email);
            } else {
                println!("{} was not locked out; its failed sign-ins, if any, are forgotten", unlocked.user.email);
            }
            warn_inactive(unlocked.user.status);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot unlock: {}", account_error(e, email))),
    }
}

async fn reset_password(config: &Config, email: &str, password_stdin: bool) -> ExitCode {
    let password = match read_password(password_stdin, "New password: ") {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let (db, accounts) = match account_service(config).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let result = accounts.reset_password(email, &password).await;
    db.close().await;
    match result {
        Ok(reset) => {
            println!(
                "password reset: {} (id {}); {} session(s) signed out{}",
                reset.user.email,
                reset.user.id,
                reset.sessions_revoked,
                if reset.was_locked { "; the sign-in lockout is over" } else { "" }
            );
            warn_inactive(reset.user.status);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot reset the password: {}", account_error(e, email))),
    }
}

/// Says so when the account cannot sign in for another reason than a lockout.
fn warn_inactive(status: UserStatus) {
    if status != UserStatus::Active {
        eprintln!("stockade: note: the account is {}, so it cannot sign in until it is active", status.as_str());
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
