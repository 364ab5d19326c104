//! Embeds the `text` of every line of JSON files and writes one line per message with its
//! vector: `cargo run --release -p palabre-embed --example embed_jsonl -- OUT.jsonl IN.jsonl…`
//! (for training and evaluating heads over the vectors).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_embed::Role;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, inputs) = args.split_first().expect("OUT.jsonl IN.jsonl…");
    let model = palabre_embed::load_or_fetch(&palabre_embed::default_dir()).unwrap();
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    for input in inputs {
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(input)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let bar = indicatif::ProgressBar::new(lines.len() as u64);
        for chunk in lines.chunks(8) {
            let texts: Vec<&str> = chunk
                .iter()
                .map(|v| v["text"].as_str().unwrap_or(""))
                .collect();
            for (mut v, e) in chunk
                .iter()
                .cloned()
                .zip(model.embed_batch(&texts, Role::Query))
            {
                v["file"] = input.as_str().into();
                v["embedding"] = e.into();
                writeln!(w, "{v}").unwrap();
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
    }
}
