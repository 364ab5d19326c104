//! Evaluates triage on a labelled JSONL file and prints the report (what `palabre eval triage`
//! prints): `cargo run --release -p palabre-triage --example eval_file -- FILE [--json]`

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
    let report = evaluate(&Triager::new(TriageConfig::default()), &records);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.render_text());
    }
}
