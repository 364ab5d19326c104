//! `palabre replay`: the production decision path over a file of platform events, offline.

use crate::config::Config;
use crate::engine::{Engine, Stats};
use crate::i18n::{Lang, Msg, t};
use anyhow::Context;
use palabre_connectors::Format;
use palabre_core::{Channel, Timestamp};
use palabre_store::AuditEntry;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The options of `palabre replay` (see `palabre replay --help`).
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Configuration file (channels, store, pipeline windows); see README.
    #[arg(long, value_name = "FILE", env = "PALABRE_CONFIG")]
    pub config: Option<PathBuf>,
    /// One of the brand's own accounts, PLATFORM:ID:HANDLE (e.g. x:1000:francetvinfo); repeatable.
    #[arg(long = "channel", value_name = "PLATFORM:ID:HANDLE")]
    pub channels: Vec<Channel>,
    /// A campaign file to rehearse (see docs/campaigns.md); repeatable, added to the
    /// configuration's [campaigns] files.
    #[arg(long = "campaign", value_name = "FILE")]
    pub campaigns: Vec<PathBuf>,
    /// A listening query, NAME=QUERY (docs/listening.md: words, "phrases", #hashtags,
    /// @mentions, AND/OR/NOT, lang:, from:, has:geo, has:media, is:reply, is:repost,
    /// near:GEOFENCE); NAME:POLICY=QUERY sets its policy (tagged, actionable, all, observe;
    /// default actionable); repeatable.
    #[arg(long = "listen", value_name = "NAME=QUERY", value_parser = crate::listening::parse_listen_flag)]
    pub listen: Vec<palabre_listening::matcher::QuerySpec>,
    /// A geofence, NAME:LAT,LON:RADIUS_M[:POLICY] (a circle; radius in metres; policy as for
    /// --listen); repeatable.
    #[arg(long = "geofence", value_name = "NAME:LAT,LON:RADIUS_M[:POLICY]", value_parser = crate::listening::parse_geofence_flag)]
    pub geofences: Vec<palabre_listening::geofence::Geofence>,
    /// Stop all automation, as during a crisis: every campaign request goes to a human.
    #[arg(long)]
    pub crisis_brake: bool,
    /// Triage reads the messages it is not sure of with the language model (`on`), or not
    /// (`off`); overrides the configuration's `[triage] model` (default off).
    #[arg(long, value_name = "on|off")]
    pub model: Option<crate::config::ModelSwitch>,
    /// Input format; `auto` recognises each line.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    pub format: Format,
    /// Record into a store: a SQLite file path or a postgres:// URL (default: keep nothing).
    #[arg(long, value_name = "PATH")]
    pub state: Option<String>,
    /// Write decisions to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A schedule file of the brand's posts (docs/publishing.md): each post due during the
    /// replayed period is printed among the decisions, published or held (the brake, a crisis
    /// alert), to rehearse a calendar against a past stream.
    #[arg(long, value_name = "FILE")]
    pub schedule: Option<PathBuf>,
    /// The longest input line read, in bytes; a longer one is an `invalid` decision
    /// (`line_too_long`) and only its first KiB is kept among the rejects.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,
    /// JSON lines of platform events; `-` or nothing reads standard input.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
}

/// 8 MiB: an X page of 100 tweets with their expansions is well under 1 MiB, and `/api/events`
/// takes bodies up to this size.
pub const DEFAULT_MAX_LINE_BYTES: usize = 8 << 20;

fn parse_format(raw: &str) -> Result<Format, String> {
    raw.parse()
}

/// Why replay stopped: bad usage (exit 2) or I/O (exit 1).
#[derive(Debug)]
pub enum Failure {
    Usage(anyhow::Error),
    Io(anyhow::Error),
}

pub fn run(args: ReplayArgs, lang: Lang) -> Result<Stats, Failure> {
    let mut config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| Failure::Usage(e.into()))?,
        None => Config::default(),
    };
    if let Some(switch) = args.model {
        config.triage.model = Some(switch);
    }
    let config_dir = args
        .config
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    let mut pipeline = crate::wiring::pipeline(
        &config,
        config_dir,
        &args.channels,
        &args.campaigns,
        args.crisis_brake,
        &crate::wiring::ExtraListening {
            queries: args.listen.clone(),
            geofences: args.geofences.clone(),
        },
    )
    .map_err(Failure::Usage)?;
    let schedule = match &args.schedule {
        None => Vec::new(),
        Some(path) => {
            let rules = config
                .publishing
                .rules()
                .map_err(|e| Failure::Usage(anyhow::anyhow!(e)))?;
            crate::schedule::load(
                path,
                &crate::schedule::Reading {
                    default_zone: &rules.time_zone,
                    channels: &pipeline.policy().channels,
                    now: None,
                    public_address: rules.media_url.is_some(),
                    french: lang == Lang::Fr,
                },
            )
            .map_err(|e| Failure::Usage(anyhow::anyhow!(e)))?
            .into_iter()
            .filter_map(|p| Some((p.id, p.post.channel, p.post.due?)))
            .collect()
        }
    };
    let triager = pipeline.triager().cloned();
    // FAQ campaigns, and whether they match by meaning.
    let faq = pipeline
        .campaigns()
        .is_some_and(|c| c.has_faq())
        .then(|| pipeline.reads_meaning());
    let faq_reads = pipeline.faq_reads();

    let (input, size, source): (Box<dyn Read>, Option<u64>, String) = match &args.input {
        None => (Box::new(std::io::stdin().lock()), None, "stdin".to_owned()),
        Some(p) if p.as_os_str() == "-" => {
            (Box::new(std::io::stdin().lock()), None, "stdin".to_owned())
        }
        Some(p) => {
            let file = std::fs::File::open(p)
                .with_context(|| format!("cannot open {}", p.display()))
                .map_err(Failure::Io)?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size, p.display().to_string())
        }
    };
    let out: Box<dyn Write + Send> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))
                .map_err(Failure::Io)?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    };

    let location = args.state.clone().or(config.store.location.clone());
    let started = Instant::now();
    let mut engine = match &location {
        None => Engine::direct(pipeline, args.format, source.clone(), out),
        Some(location) => {
            let mut store = palabre_store::open(location)
                .with_context(|| {
                    format!(
                        "cannot open the store at {}",
                        palabre_store::describe(location)
                    )
                })
                .map_err(Failure::Io)?;
            let seeded = crate::wiring::restore(&mut pipeline, store.as_mut(), location)
                .map_err(Failure::Io)?;
            tracing::info!(store = %palabre_store::describe(location), remembered = seeded, "{}", t(lang, Msg::Seeded));
            store
                .append_audit(&AuditEntry {
                    at: Timestamp::now(),
                    actor: "replay".into(),
                    action: "replay_started".into(),
                    target: Some(source.clone()),
                    detail: Some(format!("format={}", args.format)),
                })
                .map_err(|e| Failure::Io(e.into()))?;
            Engine::recorded(pipeline, args.format, source.clone(), store, out)
        }
    }
    .with_schedule(schedule);

    let progress = progress_bar(size, lang);
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    let mut read_bytes = 0u64;
    loop {
        buf.clear();
        // Two more bytes than the cap: a line of exactly the cap still fits with its `\r\n`.
        let (n, ended) =
            read_line_capped(&mut reader, &mut buf, args.max_line_bytes.saturating_add(2))
                .context("cannot read the input")
                .map_err(Failure::Io)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        read_bytes += n as u64;
        let line = trim_line_end(&buf);
        if line.len() > args.max_line_bytes {
            engine
                .feed_too_long(line_no, line, n - usize::from(ended), args.max_line_bytes)
                .map_err(Failure::Io)?;
        } else {
            engine.feed(line_no, line).map_err(Failure::Io)?;
        }
        if line_no.is_multiple_of(8192) {
            progress.set_position(read_bytes);
        }
    }
    progress.finish_and_clear();
    let (stats, store) = engine.finish().map_err(Failure::Io)?;

    if let Some(mut store) = store {
        store
            .append_audit(&AuditEntry {
                at: Timestamp::now(),
                actor: "replay".into(),
                action: "replay_finished".into(),
                target: Some(source),
                detail: Some(serde_json::to_string(&stats).unwrap_or_default()),
            })
            .map_err(|e| Failure::Io(e.into()))?;
    }
    print_summary(
        &stats,
        started.elapsed().as_secs_f64(),
        location.as_deref(),
        lang,
    );
    print_model_share(triager.as_deref(), lang);
    match faq {
        Some(true) => {
            let read = faq_reads.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!("  {read:>10}  {}", t(lang, Msg::FaqRead));
            eprintln!("  {}", t(lang, Msg::FaqByMeaning));
        }
        Some(false) => eprintln!("  {}", t(lang, Msg::FaqByWords)),
        None => {}
    }
    Ok(stats)
}

/// Reads one line (through its `\n`) into `buf`, keeping at most `cap` bytes of it: the rest
/// is read and dropped, so a 200 MiB line costs no more memory than the cap. Returns the bytes
/// the line took in the input (0 at the end) and whether it ended with a line break.
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, false));
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        reader.consume(used);
        consumed += used;
        if done {
            return Ok((consumed, true));
        }
    }
}

fn trim_line_end(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && (buf[end - 1] == b'\n' || buf[end - 1] == b'\r') {
        end -= 1;
    }
    &buf[..end]
}

fn progress_bar(size: Option<u64>, lang: Lang) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match size {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = format!(
        "{} {{wide_bar}} {{bytes}}/{{total_bytes}} ({{eta}})",
        t(lang, Msg::Reading)
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// How many messages the language model read, or that it is off.
fn print_model_share(triager: Option<&palabre_triage::Triager>, lang: Lang) {
    let mut err = std::io::stderr().lock();
    match triager.filter(|tr| tr.has_model()) {
        Some(triager) => {
            let (read, seen) = triager.model_share();
            let _ = writeln!(err, "  {read:>10}  / {seen} {}", t(lang, Msg::ModelRead));
        }
        None => {
            let _ = writeln!(err, "  {}", t(lang, Msg::ModelOff));
        }
    }
}

fn print_summary(stats: &Stats, secs: f64, location: Option<&str>, lang: Lang) {
    let mut err = std::io::stderr().lock();
    let rate = if secs > 0.0 {
        stats.events as f64 / secs
    } else {
        0.0
    };
    let _ = writeln!(err, "{}:", t(lang, Msg::Summary));
    let _ = writeln!(err, "  {:>10}  {}", stats.lines, t(lang, Msg::Lines));
    if stats.blank_lines > 0 {
        let _ = writeln!(
            err,
            "  {:>10}  {}",
            stats.blank_lines,
            t(lang, Msg::BlankLines)
        );
    }
    let _ = writeln!(err, "  {:>10}  {}", stats.events, t(lang, Msg::Events));
    let _ = writeln!(
        err,
        "  {:>10.2}  s {} ({:.0} {})",
        secs,
        t(lang, Msg::Elapsed),
        rate,
        t(lang, Msg::Rate)
    );
    let (published, held) = stats.scheduled_posts;
    if published + held > 0 {
        let _ = writeln!(err, "  {published:>10}  {}", t(lang, Msg::PostsPublished));
        let _ = writeln!(err, "  {held:>10}  {}", t(lang, Msg::PostsHeld));
    }
    let _ = writeln!(err, "  {}:", t(lang, Msg::Outcomes));
    for (o, n) in &stats.by_outcome {
        let _ = writeln!(err, "  {:>10}  {}", n, o);
    }
    let _ = writeln!(err, "  {}:", t(lang, Msg::Reasons));
    for (r, n) in &stats.by_reason {
        let examples = stats
            .examples
            .iter()
            .find(|(x, _)| x == r)
            .map(|(_, e)| e.join(", "))
            .unwrap_or_default();
        let _ = writeln!(
            err,
            "  {:>10}  {:<20} {}: {}",
            n,
            r.as_str(),
            t(lang, Msg::Examples),
            examples
        );
    }
    if !stats.replies.is_empty() {
        let _ = writeln!(
            err,
            "  {} ({}):",
            t(lang, Msg::Replies),
            stats.replies.len()
        );
        for r in &stats.replies {
            let _ = writeln!(
                err,
                "    line {} {} [{}{}] {}",
                r.line,
                r.event_id.as_deref().unwrap_or("-"),
                r.outcome,
                match (&r.campaign, &r.campaign_key) {
                    (Some(c), Some(k)) => format!(", {c} {k}"),
                    (Some(c), None) => format!(", {c}"),
                    _ => String::new(),
                },
                r.reply
            );
        }
    }
    if let (Some(s), Some(location)) = (stats.stored, location) {
        let _ = writeln!(
            err,
            "  {}: {}",
            t(lang, Msg::StoreAt),
            palabre_store::describe(location)
        );
        let _ = writeln!(err, "  {:>10}  {}", s.inserted, t(lang, Msg::Stored));
        let _ = writeln!(
            err,
            "  {:>10}  {}",
            s.already_stored,
            t(lang, Msg::AlreadyStored)
        );
        let _ = writeln!(err, "  {:>10}  {}", s.rejected, t(lang, Msg::Rejected));
    }
}
