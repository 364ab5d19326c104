//! `palabre bench`: events/s of normalize → dedupe → thread → decide, in memory and recorded
//! to SQLite, on a deterministic synthetic X API v2 stream, with peak memory.

use crate::engine::Engine;
use palabre_connectors::Format;
use palabre_pipeline::{Pipeline, Policy};
use palabre_triage::{TriageConfig, Triager};
use serde::Serialize;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The options of `palabre bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Number of synthetic events.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Seed of the generator (same seed, same stream).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// What to measure: `memory` is the foundation path (normalize, dedupe, thread, decide);
    /// `triage` adds triage of the messages addressed to the brand; `sqlite` is the whole
    /// production path of `palabre replay --state`, triage included, recorded to SQLite.
    #[arg(long, value_enum, default_value = "all")]
    pub mode: Mode,
    /// Folder for the benchmark's SQLite file (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Generate N campaigns of 50 triggers each (the first also answers `#MonRésultat` and a
    /// postal code, which the synthetic stream contains) and measure with them (`campaigns`
    /// mode, and the `sqlite` mode too).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub campaigns: usize,
    /// Write the synthetic stream to FILE and stop (to feed `palabre replay` or another tool).
    #[arg(long, value_name = "FILE")]
    pub generate: Option<std::path::PathBuf>,
    /// `listening` mode: synthetic listening queries (a few hit the stream's words, most look
    /// for words it never has, as a brand's real queries mostly do).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub listen_queries: usize,
    /// `listening` mode: synthetic circular geofences around the stream's geotagged area.
    #[arg(long, default_value_t = 1_000, value_name = "N")]
    pub geofences: usize,
    /// `live` mode: events per second the stream server offers.
    #[arg(long, default_value_t = 5700, value_name = "N")]
    pub rate: u64,
    /// `live` mode: how long the stream lasts, in seconds.
    #[arg(long, default_value_t = 30, value_name = "S")]
    pub seconds: u64,
    /// `live` mode: agents configured (in 50 teams) on the inbox queue.
    #[arg(long, default_value_t = 3000, value_name = "N")]
    pub agents: usize,
    /// `live` mode: conversations already in the store (filled once into
    /// DIR/bench-live-N.db, reused, copied for each run).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub conversations: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Memory,
    /// The foundation path with `--campaigns N` campaigns.
    Campaigns,
    Triage,
    /// The foundation path with `--listen-queries N` queries and `--geofences N` geofences.
    Listening,
    Sqlite,
    /// A local replay server's SSE stream through the Mastodon connector: alone
    /// (`stream-read`), then into the pipeline (triage included), in memory.
    Stream,
    /// The same, recorded to SQLite.
    StreamSqlite,
    /// `palabre serve` end to end: a local X server streams `--rate` events/s for `--seconds`
    /// to serve (a child process) with `--agents` agents and `--conversations` stored, which
    /// answers through the real X sender (folder: `--data`, default `data/`).
    Live,
    All,
}

#[derive(Debug, Serialize)]
pub struct Measure {
    pub mode: &'static str,
    pub events: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    /// Resident memory (MiB) after each tenth of the run: flat means bounded.
    pub rss_mib_by_tenth: Vec<f64>,
    pub peak_rss_mib: f64,
}

pub const FR_TEXTS: [&str; 12] = [
    "mon colis n'est toujours pas arrivé",
    "merci pour votre aide rapide",
    "plus de réseau depuis ce matin",
    "super soirée au parc, magique",
    "vos tarifs sont scandaleux",
    "le conseiller était adorable",
    "quelqu'un peut m'aider avec ma facture ?",
    "#MonRésultat 69003",
    "vol annulé sans explication",
    "trop bien le nouveau forfait",
    "ça fait 3 jours sans internet",
    "bravo pour l'appli",
];
pub const EN_TEXTS: [&str; 12] = [
    "my order still hasn't arrived",
    "thanks for the quick help",
    "no signal since this morning",
    "amazing evening at the park",
    "your prices are outrageous",
    "the agent was lovely",
    "can someone help with my bill?",
    "how much is AMS to JFK on 12 May?",
    "flight cancelled, no explanation",
    "love the new plan",
    "three days without internet",
    "great app update",
];
pub const TAG_NAMES: [&str; 8] = [
    "MonRésultat",
    "SAV",
    "panne",
    "Municipales2026",
    "travel",
    "fail",
    "merci",
    "Disneyland",
];

/// A deterministic stream of X API v2 filtered-stream lines: about 20% retweets (half of them
/// of the brand, id 1000), 5% exact repeats of recent lines, 60% French, hashtags, mentions of
/// the brand, a few geo points — the same mix as `shared/bench/gen_stream.py`.
pub struct Generator {
    rng: fastrand::Rng,
    next_id: u64,
    index: u64,
    recent: Vec<String>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: fastrand::Rng::with_seed(seed),
            next_id: 1_790_000_000_000_000_000,
            index: 0,
            recent: Vec::new(),
        }
    }

    pub fn next_line(&mut self) -> String {
        let i = self.index;
        self.index += 1;
        let r = self.rng.f64();
        if !self.recent.is_empty() && r < 0.05 {
            let k = self.rng.usize(..self.recent.len());
            return self.recent[k].clone();
        }
        self.next_id += self.rng.u64(1..=50);
        let id = self.next_id;
        let uid = self.rng.u64(10..=2_000_000);
        let fr = self.rng.f64() < 0.6;
        let body = if fr {
            FR_TEXTS[self.rng.usize(..FR_TEXTS.len())]
        } else {
            EN_TEXTS[self.rng.usize(..EN_TEXTS.len())]
        };
        let created = format!(
            "2026-03-22T20:{:02}:{:02}.000Z",
            (i / 60_000) % 60,
            (i / 1000) % 60
        );
        let user = format!(
            r#"{{"id":"{uid}","username":"user{uid}","name":"User {uid}","verified":{},"description":"","public_metrics":{{"followers_count":{},"following_count":300,"tweet_count":1000}}}}"#,
            uid.is_multiple_of(97),
            uid % 5000
        );
        let lang = if fr { "fr" } else { "en" };
        let mut line = String::with_capacity(640);
        if r < 0.25 {
            let brand = self.rng.f64() < 0.5;
            let src = if brand {
                1000
            } else {
                self.rng.u64(10..=2_000_000)
            };
            let orig = id - self.rng.u64(100..=100_000);
            let text = if brand {
                format!("RT @brand: @user{uid} {body}")
            } else {
                format!("RT @user{src}: {body}")
            };
            let _ = write!(
                line,
                r#"{{"data":{{"id":"{id}","author_id":"{uid}","created_at":"{created}","lang":"{lang}","conversation_id":"{id}","referenced_tweets":[{{"type":"retweeted","id":"{orig}"}}],"text":{}}},"includes":{{"users":[{user}],"tweets":[{{"id":"{orig}","text":{},"author_id":"{src}"}}]}},"matching_rules":[{{"id":"1","tag":"brand"}}]}}"#,
                json_string(&text),
                json_string(body)
            );
        } else {
            let mention = self.rng.f64() < 0.7;
            let n_tags = self.rng.usize(0..=2);
            let mut tags: Vec<&str> = Vec::with_capacity(n_tags);
            while tags.len() < n_tags {
                let t = TAG_NAMES[self.rng.usize(..TAG_NAMES.len())];
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            let mut text = String::new();
            if mention {
                text.push_str("@brand ");
            }
            text.push_str(body);
            let mut hashtags = Vec::new();
            for t in &tags {
                text.push_str(" #");
                let start = text.chars().count() - 1;
                text.push_str(t);
                hashtags.push(format!(
                    r#"{{"start":{start},"end":{},"tag":{}}}"#,
                    start + 1 + t.chars().count(),
                    json_string(t)
                ));
            }
            let mut entities = Vec::new();
            if mention {
                entities.push(
                    r#""mentions":[{"start":0,"end":6,"username":"brand","id":"1000"}]"#.to_owned(),
                );
            }
            if !hashtags.is_empty() {
                entities.push(format!(r#""hashtags":[{}]"#, hashtags.join(",")));
            }
            let _ = write!(
                line,
                r#"{{"data":{{"id":"{id}","author_id":"{uid}","created_at":"{created}","lang":"{lang}","conversation_id":"{id}""#
            );
            if !entities.is_empty() {
                let _ = write!(line, r#","entities":{{{}}}"#, entities.join(","));
            }
            if mention {
                line.push_str(r#","in_reply_to_user_id":"1000""#);
            }
            if self.rng.f64() < 0.05 {
                let lon = 2.7758 + (self.rng.f64() - 0.5) * 0.1;
                let lat = 48.8722 + (self.rng.f64() - 0.5) * 0.1;
                let _ = write!(
                    line,
                    r#","geo":{{"coordinates":{{"type":"Point","coordinates":[{lon:.6},{lat:.6}]}}}}"#
                );
            }
            let _ = write!(
                line,
                r#","text":{}}},"includes":{{"users":[{user}]}},"matching_rules":[{{"id":"1","tag":"brand"}}]}}"#,
                json_string(&text)
            );
        }
        self.recent.push(line.clone());
        if self.recent.len() > 5000 {
            self.recent.drain(..4000);
        }
        line
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Resident and peak resident memory of this process, in MiB (Linux; 0 elsewhere).
pub fn memory_mib() -> (f64, f64) {
    (status_mib("self", "VmRSS:"), status_mib("self", "VmHWM:"))
}

/// A memory field of `/proc/PROCESS/status` (`self` or a pid), in MiB; 0 when unreadable.
pub fn status_mib(process: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The brand's one channel, with a satisfaction survey declared as a team would: every
/// message addressed to it is then also a turn of a support exchange.
fn policy() -> Policy {
    let brand = "x:1000:brand"
        .parse()
        .map_or_else(|_| Vec::new(), |c| vec![c]);
    Policy {
        surveys: vec![palabre_pipeline::survey::Survey {
            channel: "x:1000".into(),
            fr: "Votre avis : {link}".into(),
            en: "Your opinion: {link}".into(),
            link: "https://brand.example/survey".into(),
            once_per_secs: 30 * 24 * 3600,
        }],
        ..Policy::with_channels(brand)
    }
}

/// Runs the pipeline over `events` generated lines; only the pipeline's time is counted
/// (generation happens in chunks, outside the timer).
fn measure(
    mode: &'static str,
    events: u64,
    seed: u64,
    mut engine: Engine,
) -> anyhow::Result<Measure> {
    const CHUNK: u64 = 50_000;
    let mut generator = Generator::new(seed);
    let mut busy = Duration::ZERO;
    let mut rss_by_tenth = Vec::new();
    let tenth = (events / 10).max(1);
    let mut done = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK as usize);
    while done < events {
        chunk.clear();
        let n = CHUNK.min(events - done);
        chunk.extend((0..n).map(|_| generator.next_line()));
        let started = Instant::now();
        for (i, line) in chunk.iter().enumerate() {
            engine.feed(done + i as u64 + 1, line.as_bytes())?;
        }
        busy += started.elapsed();
        let before = done;
        done += n;
        if before / tenth != done / tenth {
            rss_by_tenth.push(memory_mib().0);
        }
    }
    let started = Instant::now();
    let (stats, _) = engine.finish()?;
    busy += started.elapsed();
    if mode == "listening" {
        let count = |reason: palabre_core::Reason| {
            stats
                .by_reason
                .iter()
                .find(|(r, _)| *r == reason)
                .map_or(0, |(_, n)| *n)
        };
        tracing::info!(
            heard = count(palabre_core::Reason::Listening),
            observed = count(palabre_core::Reason::Observed),
            events,
            "what listening heard"
        );
    }
    let seconds = busy.as_secs_f64();
    Ok(Measure {
        mode,
        events,
        seconds,
        events_per_second: events as f64 / seconds.max(1e-9),
        rss_mib_by_tenth: rss_by_tenth,
        peak_rss_mib: memory_mib().1,
    })
}

pub fn run(args: &BenchArgs) -> anyhow::Result<Vec<Measure>> {
    if let Some(path) = &args.generate {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut generator = Generator::new(args.seed);
        for _ in 0..args.events {
            out.write_all(generator.next_line().as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        return Ok(Vec::new());
    }
    let mut results = Vec::new();
    let triager = || Arc::new(Triager::new(TriageConfig::default()));
    let sink = || -> Box<dyn std::io::Write + Send> { Box::new(std::io::sink()) };
    if matches!(args.mode, Mode::Memory | Mode::All) {
        let engine = Engine::direct(Pipeline::new(policy()), Format::X, "bench".into(), sink());
        results.push(measure("memory", args.events, args.seed, engine)?);
    }
    let temp = tempfile::tempdir()?;
    let campaigns = match args.campaigns {
        0 => None,
        n => Some(Arc::new(synthetic_campaigns(temp.path(), n)?)),
    };
    if let (Some(set), true) = (&campaigns, matches!(args.mode, Mode::Campaigns | Mode::All)) {
        let pipeline = Pipeline::new(policy()).with_campaigns(Arc::clone(set));
        let engine = Engine::direct(pipeline, Format::X, "bench".into(), sink());
        results.push(measure("campaigns", args.events, args.seed, engine)?);
    }
    if matches!(args.mode, Mode::Listening | Mode::All) {
        let listening = synthetic_listening(args.listen_queries, args.geofences, args.seed)?;
        let pipeline = Pipeline::new(policy()).with_listening(Arc::new(listening));
        let engine = Engine::direct(pipeline, Format::X, "bench".into(), sink());
        results.push(measure("listening", args.events, args.seed, engine)?);
    }
    if matches!(args.mode, Mode::Triage | Mode::All) {
        let pipeline = Pipeline::new(policy()).with_triage(triager());
        let engine = Engine::direct(pipeline, Format::X, "bench".into(), sink());
        results.push(measure("triage", args.events, args.seed, engine)?);
    }
    if matches!(args.mode, Mode::Sqlite | Mode::All) {
        let dir = args.data.clone().unwrap_or_else(|| temp.path().to_owned());
        let path = dir.join("bench.db");
        let _ = std::fs::remove_file(&path);
        let store = Box::new(palabre_store::SqliteStore::open(&path)?);
        let mut pipeline = Pipeline::new(policy()).with_triage(triager());
        if let Some(set) = &campaigns {
            pipeline = pipeline.with_campaigns(Arc::clone(set));
        }
        let engine = Engine::recorded(pipeline, Format::X, "bench".into(), store, sink());
        results.push(measure("sqlite", args.events, args.seed, engine)?);
    }
    if matches!(args.mode, Mode::Stream) {
        use crate::bench_stream::{Into, measure};
        results.push(measure(args.events, args.seed, Into::Nothing)?);
        results.push(measure(args.events, args.seed, Into::Pipeline)?);
    }
    if matches!(args.mode, Mode::StreamSqlite) {
        let dir = args.data.clone().unwrap_or_else(|| temp.path().to_owned());
        let path = dir.join("bench-stream.db");
        results.push(crate::bench_stream::measure(
            args.events,
            args.seed,
            crate::bench_stream::Into::Sqlite(path),
        )?);
    }
    Ok(results)
}

/// `queries` listening queries in four shapes (words side by side, a word or a phrase, a
/// hashtag without reposts, words in French only), one in ten on the stream's own words, the
/// rest on words it never has; and `fences` circles of 200 m to 2 km around the stream's
/// geotagged area, one in five surfacing everything, the rest only what is actionable.
fn synthetic_listening(
    queries: usize,
    fences: usize,
    seed: u64,
) -> anyhow::Result<palabre_listening::Listening> {
    use palabre_listening::{Policy, geofence::Geofence, matcher::QuerySpec};
    let mut rng = fastrand::Rng::with_seed(seed);
    let stream_words: Vec<&str> = FR_TEXTS
        .iter()
        .chain(EN_TEXTS.iter())
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() > 3)
        .collect();
    let word = |rng: &mut fastrand::Rng| -> String {
        if rng.u16(..500) == 0 {
            stream_words[rng.usize(..stream_words.len())].to_owned()
        } else {
            format!("mot{}", rng.u32(..50_000))
        }
    };
    let specs: Vec<QuerySpec> = (0..queries)
        .map(|i| {
            let (a, b, c) = (word(&mut rng), word(&mut rng), word(&mut rng));
            let query = match i % 4 {
                0 => format!("{a} {b}"),
                1 => format!("{a} OR \"{b} {c}\""),
                2 => format!("#{a} -is:repost"),
                _ => format!("({a} OR {b}) lang:fr"),
            };
            QuerySpec {
                name: format!("q{i}"),
                query,
                policy: if i % 3 == 0 {
                    Policy::All
                } else {
                    Policy::Actionable
                },
            }
        })
        .collect();
    let geofences = (0..fences)
        .map(|i| {
            Geofence::circle(
                format!("g{i}"),
                48.8722 + (rng.f64() - 0.5) * 0.2,
                2.7758 + (rng.f64() - 0.5) * 0.2,
                200.0 + rng.f64() * 1_800.0,
                if i % 5 == 0 {
                    Policy::All
                } else {
                    Policy::Actionable
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(palabre_listening::Listening::new(
        palabre_listening::Settings {
            queries: specs,
            geofences,
            hashtags: Vec::new(),
            handles: vec!["brand".into()],
            queue: "listening".into(),
            drafts: Vec::new(),
        },
    )?)
}

/// `n` campaigns of 50 triggers (25 hashtags, 25 keywords) each, answering postal codes from a
/// 90,000-row table; the first also answers `#MonRésultat`.
fn synthetic_campaigns(
    dir: &std::path::Path,
    n: usize,
) -> anyhow::Result<palabre_campaigns::CampaignSet> {
    let paths = write_synthetic_campaigns(dir, n)?;
    Ok(palabre_campaigns::CampaignSet::load(&paths)?)
}

/// The files of [`synthetic_campaigns`], written in `dir`.
pub fn write_synthetic_campaigns(
    dir: &std::path::Path,
    n: usize,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut table = String::from("code,commune,first,score\n");
    for code in 10_000..100_000u32 {
        let _ = writeln!(
            table,
            "{code},Commune {code},Liste {},{}.{}",
            code % 7,
            30 + code % 40,
            code % 10
        );
    }
    std::fs::write(dir.join("results.csv"), table)?;
    let mut paths = Vec::with_capacity(n);
    for c in 0..n {
        let mut tags: Vec<String> = (0..25).map(|t| format!("\"Élection{c}Tag{t}\"")).collect();
        if c == 0 {
            tags.push("\"MonRésultat\"".into());
        }
        let words: Vec<String> = (0..25).map(|t| format!("\"résultat{c}x{t}\"")).collect();
        let toml = format!(
            r##"id = "c{c:03}"
name = "Synthetic campaign {c}"
channels = ["x:1000:brand"]
mode = "auto"
window = "6h"

[trigger]
hashtags = [{tags}]
keywords = [{words}]

[[extract]]
name = "code"
kind = "postal_code"

[table]
file = "results.csv"
key = ["code"]

[reply]
link = "https://r.example/{{{{ code }}}}"
fr = ["{{{{ name }}}}, résultats (FICTIFS) à {{{{ commune }}}} : {{{{ first }}}} {{{{ score }}}} %. Détails : {{{{ link }}}}"]
en = ["{{{{ name }}}}, results (FICTITIOUS) for {{{{ commune }}}}: {{{{ first }}}} {{{{ score }}}}%. Details: {{{{ link }}}}"]

[help]
example = "#Élection{c}Tag0 69003"
fr = "Envoyez #Élection{c}Tag0 suivi de votre code postal, par exemple : {{{{ example }}}}"
en = "Send #Élection{c}Tag0 and your postal code, for example: {{{{ example }}}}"
"##,
            tags = tags.join(", "),
            words = words.join(", ")
        );
        let path = dir.join(format!("c{c:03}.toml"));
        std::fs::write(&path, toml)?;
        paths.push(path);
    }
    Ok(paths)
}

pub fn render(results: &[Measure]) -> String {
    let mut out = String::new();
    for m in results {
        let _ = writeln!(
            out,
            "{:<7} {:>10} events in {:>7.2} s = {:>10.0} events/s   peak RSS {:>6.1} MiB   RSS by tenth: {}",
            m.mode,
            m.events,
            m.seconds,
            m.events_per_second,
            m.peak_rss_mib,
            m.rss_mib_by_tenth
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_connectors::{Event, normalize};
    use palabre_core::MessageKind;

    #[test]
    fn the_stream_is_deterministic_and_has_the_announced_mix() {
        let a: Vec<String> = {
            let mut g = Generator::new(7);
            (0..5000).map(|_| g.next_line()).collect()
        };
        let mut g = Generator::new(7);
        assert!(
            a.iter().all(|l| *l == g.next_line()),
            "same seed, same stream"
        );
        let mut reposts = 0;
        for line in &a {
            let Ok(Event::Message(m)) = normalize(line, Format::X).remove(0) else {
                panic!("{line}")
            };
            if m.kind == MessageKind::Repost {
                reposts += 1;
            }
        }
        let share = f64::from(reposts) / a.len() as f64;
        assert!(
            (0.17..0.25).contains(&share),
            "about 20% reposts, got {share}"
        );
        let unique: std::collections::HashSet<_> = a.iter().collect();
        let repeats = 1.0 - unique.len() as f64 / a.len() as f64;
        assert!(
            (0.03..0.07).contains(&repeats),
            "about 5% exact repeats, got {repeats}"
        );
    }
}
