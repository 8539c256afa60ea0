//! The command line: `canopy [serve|migrate|seed-demo|seed-scale|print-schema]`.

use crate::{App, db};
use clap::{Parser, Subcommand};
use fixtures::{scale, seed};
use kernel::Config;
use tracing_subscriber::EnvFilter;

/// Canopy: the multi-tenant agency platform backend.
#[derive(Parser, Debug)]
#[command(name = "canopy", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Configuration (every flag also reads an environment variable).
    #[command(flatten)]
    pub config: Config,
}

/// The commands.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Migrate the database, seed demo data if configured, and serve (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Seed the demo platform (once; a second run changes nothing) and exit.
    SeedDemo,
    /// Fill the database with a large, realistic platform for benchmarks (deterministic from
    /// `--seed`; bulk inserts, as the owner) and exit. Every user's password is
    /// `canopy-scale`; agency i's owner is `owner@agency-<i>.scale.test`.
    SeedScale(scale::ScaleOptions),
    /// Print the GraphQL schema (SDL) and exit.
    PrintSchema,
}

/// The trace exporter, when `CANOPY_OTLP_ENDPOINT` is set (flushed when the command ends).
static TRACES: std::sync::OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> =
    std::sync::OnceLock::new();

fn init_tracing(config: &Config) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Colour only on a terminal: a log written to a file or a collector stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let fmt = tracing_subscriber::fmt::layer().with_ansi(ansi);
    let fmt = if config.log_format == "json" {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    let traces = match config
        .otlp_endpoint
        .as_deref()
        .map(crate::telemetry::provider)
    {
        Some(Ok(p)) => {
            let layer = crate::telemetry::layer(&p);
            let _ = TRACES.set(p);
            crate::telemetry::exporting();
            Some(layer)
        }
        Some(Err(e)) => {
            eprintln!("traces are off: {e}");
            None
        }
        None => None,
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(traces)
        .try_init();
}

/// Exports the spans not exported yet.
fn flush_traces() {
    if let Some(p) = TRACES.get() {
        let _ = p.force_flush();
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::PrintSchema = command {
        print!("{}", crate::schema::sdl());
        return Ok(());
    }
    let mut config = cli.config;
    init_tracing(&config);
    // Serving binds first: a taken port is reported before migrating and seeding.
    let listener = match command {
        Command::Serve => Some(
            crate::serve::bind(config.listen, config.listen_backlog)
                .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?,
        ),
        _ => None,
    };
    // Migrate first, as the owner when one is named: the migrations create the runtime role
    // that `DATABASE_URL` may name.
    let conn = match &config.owner_database_url {
        Some(owner_url) => {
            let owner = db::connect(&Config {
                database_url: Some(owner_url.clone()),
                ..config.clone()
            })
            .await?;
            db::migrate(&owner).await?;
            // The runtime role may not read the generated token secret: read it here, as the
            // owner, once.
            if config.jwt_secret.is_none() {
                let secret = identity::service::signing_secret(&owner)
                    .await
                    .map_err(|e| format!("cannot read the token signing secret: {e:?}"))?;
                config.jwt_secret = Some(secret);
            }
            owner.close().await.map_err(|e| e.to_string())?;
            db::connect(&config).await?
        }
        None => {
            let conn = db::connect(&config).await?;
            db::migrate(&conn).await?;
            conn
        }
    };
    match command {
        Command::Migrate => {
            println!("migrations applied ({})", db::backend_name(&conn));
            Ok(())
        }
        Command::SeedDemo => {
            let app = App::build(config, conn).await?;
            seed::seed_demo(&app.state.db, &app.state.identity).await?;
            seed::print_logins();
            Ok(())
        }
        Command::SeedScale(opts) => {
            // As the owner: bulk inserts need no row-level security in the way.
            let owner = match &config.owner_database_url {
                Some(url) => {
                    db::connect(&Config {
                        database_url: Some(url.clone()),
                        ..config.clone()
                    })
                    .await?
                }
                None => conn.clone(),
            };
            let hash = identity::service::password::Hasher::new(
                config.argon2_memory_kib,
                config.argon2_iterations,
            )
            .map_err(|e| e.public_message())?
            .hash(scale::PASSWORD.to_owned())
            .await
            .map_err(|e| e.public_message())?;
            let r = scale::seed_scale(&owner, &opts, &hash).await?;
            println!(
                "seeded {} agencies, {} sub-accounts, {} users, {} contacts, {} tickets, {} tasks, {} events in {:.1} s",
                r.agencies,
                r.sub_accounts,
                r.users,
                r.contacts,
                r.tickets,
                r.tasks,
                r.events,
                r.seconds
            );
            println!("sign in as {} / {}", scale::owner_email(0), scale::PASSWORD);
            Ok(())
        }
        Command::Serve | Command::PrintSchema => {
            let served = match listener {
                Some(listener) => serve(config, conn, listener).await,
                None => Err("nothing to serve on".into()),
            };
            flush_traces();
            served
        }
    }
}

async fn serve(
    config: Config,
    conn: sea_orm::DatabaseConnection,
    listener: tokio::net::TcpListener,
) -> Result<(), String> {
    let seed = config.seed_demo();
    let graphiql = config.graphiql;
    let backend = db::backend_name(&conn);
    let app = App::build(config, conn).await?;
    if seed {
        seed::seed_demo(&app.state.db, &app.state.identity).await?;
    }
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, backend, "canopy is serving");
    println!();
    println!("  Canopy is running on {backend}.");
    if graphiql {
        println!("  GraphiQL:  http://{addr}/");
    }
    println!("  GraphQL:   http://{addr}/graphql");
    if seed {
        seed::print_logins();
    }
    println!();
    app.serve(listener, crate::app::shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}
