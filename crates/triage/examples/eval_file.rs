//! Evaluates triage on a labelled JSONL file and prints the report (what `palabre eval triage`
//! prints): `cargo run --release -p palabre-triage --example eval_file -- FILE [--json] [--model]`
//! (`--model`: with the language model for the messages the fast reading is not sure of).

use palabre_triage::eval::{evaluate, parse_jsonl};
use palabre_triage::{TriageConfig, Triager};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: eval_file FILE.jsonl [--json]");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let (records, errors) = parse_jsonl(&text);
    for (line, e) in &errors {
        eprintln!("{path}:{line}: {e}");
    }
    let mut triager = Triager::new(TriageConfig::default());
    if args.iter().any(|a| a == "--model") {
        let model = palabre_embed::load_or_fetch(&palabre_embed::default_dir());
        match model
            .map_err(|e| e.to_string())
            .and_then(|m| triager.with_model(std::sync::Arc::new(m)))
        {
            Ok(t) => triager = t,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        }
    }
    let report = evaluate(&triager, &records);
    let (read, seen) = triager.model_share();
    if seen > 0 {
        eprintln!("the language model read {read} of {seen} messages");
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.render_text());
    }
}
