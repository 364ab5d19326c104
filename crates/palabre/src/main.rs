//! The `palabre` binary: command line, configuration and wiring of the crates.
//!
//! Exit codes: 0 success (unreadable input lines are decisions, not failures), 1 I/O or store
//! error, 2 usage or configuration error.

mod admin;
mod bench;
mod bench_inbox;
mod bench_live;
mod bench_stream;
mod brake;
mod config;
mod engine;
mod eval;
mod i18n;
mod listening;
mod live;
mod publish;
mod replay;
mod schedule;
mod serve;
mod wiring;

use clap::{Parser, Subcommand};

/// mimalloc: the pipeline thread allocates messages that the store writer thread frees, a
/// pattern the system allocator handles poorly (it was 15% of the recorded replay's time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use i18n::{Lang, Msg, t};
use std::process::ExitCode;

/// Palabre: a self-hosted engine for brand conversations on social networks.
///
/// It reads mentions, replies, direct messages, comments and reviews, and decides for each
/// one: an automated reply where that is safe, a human where it matters, silence where the
/// brand has no business speaking.
#[derive(Debug, Parser)]
#[command(
    name = "palabre",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Language of messages for people (fr or en); default from PALABRE_LANG or LANG.
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    /// Log filter (error, warn, info, debug, or a tracing directive); default from RUST_LOG.
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the production decision path over a file of platform events, offline.
    ///
    /// Writes one JSON decision per event to standard output (or --out), a summary to standard
    /// error. The clock is taken from the events themselves and nothing is sent anywhere, so
    /// the same input gives the same decisions. Unreadable lines become `invalid` decisions and
    /// the run goes on.
    ///
    /// Example: palabre replay --channel x:1000:francetvinfo examples/stream.jsonl
    Replay(replay::ReplayArgs),
    /// Measure events/s of normalize → dedupe → thread → decide, in memory and recorded.
    ///
    /// Generates a deterministic synthetic X API v2 stream (20% reposts, 5% repeats, French and
    /// English) and reports events/s and memory. See docs/performance.md.
    Bench(bench::BenchArgs),
    /// Measure the inbox's latency under load: a store of synthetic conversations, the real
    /// web application, many concurrent clients (see docs/performance.md).
    BenchInbox(bench_inbox::InboxBenchArgs),
    /// Measure how well Palabre reads messages (see docs/triage.md).
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Serve the community managers' inbox and JSON API, with the live engine behind it.
    ///
    /// Prints `listening on http://ADDR` once ready. Create the first account with
    /// `palabre admin create`. Example: palabre serve --config palabre.toml --data data
    Serve(serve::ServeArgs),
    /// Start the inbox on a sample organisation, with a sandbox network playing a French and
    /// English stream into it: the inbox fills, the bot answers, escalations arrive.
    ///
    /// Prints the accounts to sign in with. Example: palabre demo, then open
    /// http://127.0.0.1:8080
    Demo(serve::DemoArgs),
    /// Accounts, teams and API tokens.
    Admin(admin::AdminArgs),
    /// The crisis brake: hold everything automated at once (on --reason "…"), release it
    /// (off), or see it (status). A running server follows it within two seconds.
    Brake(brake::BrakeArgs),
    /// The brand's scheduled posts: list, add a schedule file, submit, approve, reject,
    /// cancel, release held posts (docs/publishing.md). A running server publishes them.
    Publish(publish::PublishArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    init_logs(cli.log.as_deref());
    match cli.command {
        Command::Replay(args) => match replay::run(args, lang) {
            Ok(_) => ExitCode::SUCCESS,
            Err(replay::Failure::Usage(e)) => report(lang, &e, 2),
            Err(replay::Failure::Io(e)) => report(lang, &e, 1),
        },
        Command::Eval(command) => match eval::run(&command) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => report(lang, &anyhow::anyhow!("no readable labelled line"), 2),
            Err(e) => report(lang, &e, 1),
        },
        Command::BenchInbox(args) => match bench_inbox::run(&args) {
            Ok(results) => print_results(args.json, &results, bench_inbox::render),
            Err(e) => report(lang, &e, 1),
        },
        Command::Serve(args) => match serve::serve(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report(lang, &e, 1),
        },
        Command::Demo(args) => match serve::demo(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report(lang, &e, 1),
        },
        Command::Admin(args) => match admin::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report(lang, &e, 1),
        },
        Command::Brake(args) => match brake::run(args, lang) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report(lang, &e, 1),
        },
        Command::Publish(args) => match publish::run(args, lang) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.is::<publish::Refused>() => report(lang, &e, 2),
            Err(e) => report(lang, &e, 1),
        },
        Command::Bench(args) if args.mode == bench::Mode::Live => match bench_live::run(&args) {
            Ok(result) => print_results(args.json, &result, bench_live::render),
            Err(e) => report(lang, &e, 1),
        },
        Command::Bench(args) => match bench::run(&args) {
            Ok(results) => print_results(args.json, &results, |r| bench::render(r)),
            Err(e) => report(lang, &e, 1),
        },
    }
}

/// A measurement's results, as JSON or for people.
fn print_results<T: serde::Serialize>(
    json: bool,
    results: &T,
    render: impl Fn(&T) -> String,
) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(results).unwrap_or_default()
        );
    } else {
        print!("{}", render(results));
    }
    ExitCode::SUCCESS
}

fn report(lang: Lang, e: &anyhow::Error, code: u8) -> ExitCode {
    eprintln!("palabre: {}: {e:#}", t(lang, Msg::Error));
    ExitCode::from(code)
}

fn init_logs(filter: Option<&str>) {
    let filter = filter
        .map(tracing_subscriber::EnvFilter::new)
        .or_else(|| tracing_subscriber::EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
