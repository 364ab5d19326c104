//! Development tool: prints what the readers saw in each argument and the resulting triage.
//!
//! `cargo run --release -p palabre-triage --example explain -- "pas mal du tout"`

use palabre_core::Author;
use palabre_triage::{TriageConfig, Triager};

fn main() {
    let t = Triager::new(TriageConfig::default());
    for text in std::env::args().skip(1) {
        println!("{text}\n{}", t.explain(&text, None));
        println!(
            "{}\n",
            serde_json::to_string(&t.triage(&text, None, &Author::default())).unwrap_or_default()
        );
    }
}
