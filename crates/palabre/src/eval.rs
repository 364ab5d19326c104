//! `palabre eval triage FILE.jsonl`: how well triage reads a labelled file.

use crate::config::Config;
use anyhow::Context;
use palabre_triage::Triager;
use palabre_triage::eval::{evaluate, parse_jsonl};
use std::path::PathBuf;

/// What to evaluate.
#[derive(Debug, clap::Subcommand)]
pub enum EvalCommand {
    /// Score triage against labelled messages: accuracy, macro-F1 per label, confusion matrices.
    ///
    /// Each line: {"text", "lang"?, "sentiment"?, "emotion"?, "toxic"?, "intent"?,
    /// "author"?, "author_kind"?}. Only the labels a line gives are scored. Unreadable lines are
    /// reported on standard error with their number and skipped.
    Triage(TriageArgs),
}

#[derive(Debug, clap::Args)]
pub struct TriageArgs {
    /// JSON lines of labelled messages.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Configuration file (its [triage] known_organisations are used).
    #[arg(long, value_name = "FILE", env = "PALABRE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Runs the evaluation; `Ok(false)` when the file held no readable line.
pub fn run(command: &EvalCommand) -> anyhow::Result<bool> {
    let EvalCommand::Triage(args) = command;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let (records, errors) = parse_jsonl(&text);
    for (line, error) in &errors {
        eprintln!("{}:{line}: {error}", args.file.display());
    }
    if records.is_empty() {
        return Ok(false);
    }
    let report = evaluate(&Triager::new(config.triage_config()), &records);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render_text());
    }
    Ok(true)
}
