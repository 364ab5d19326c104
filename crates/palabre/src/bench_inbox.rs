//! `palabre bench-inbox`: how fast the inbox answers under load. Fills a SQLite store with
//! synthetic conversations (kept, so later runs reuse it), serves the real web application on
//! a loopback port, and sends the inbox list and conversation views from many concurrent
//! keep-alive clients, reporting latency percentiles.

use palabre_core::message::MessageText;
use palabre_core::{
    AuthorKind, ConversationId, Decision, Emotion, EventId, ExternalId, Intent, Lang, Message,
    MessageKeys, MessageKind, Outcome, Platform, Reason, Sentiment, SentimentLabel, Timestamp,
    Triage,
};
use palabre_store::workspace::Role;
use palabre_store::{Entry, Workspace};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct InboxBenchArgs {
    /// Conversations in the store.
    #[arg(long, default_value_t = 1_000_000)]
    pub conversations: u64,
    /// Messages per conversation.
    #[arg(long, default_value_t = 5)]
    pub messages_per: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Requests in all (half inbox lists, half conversation views).
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// The SQLite file; reused when it already holds the conversations asked for.
    #[arg(long, default_value = "data/bench-inbox.db")]
    pub store: String,
    /// Also search the text (`?q=`) in one request of five: in turn a string found in one
    /// conversation (its number) and a word found in all of them. The search index is brought
    /// up to date first, and how long that took is said.
    #[arg(long)]
    pub search: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Latencies of one kind of request.
#[derive(Debug, serde::Serialize)]
pub struct Latency {
    pub request: &'static str,
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct InboxBench {
    pub conversations: i64,
    pub messages: i64,
    /// Messages the search index took before the run, and the seconds it took (`--search`).
    pub indexed: Option<(usize, f64)>,
    pub clients: usize,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub latencies: Vec<Latency>,
}

/// A server that only reads: the bench sends no events.
struct ReadOnly;

impl palabre_web::Engine for ReadOnly {
    fn submit(&self, _: Vec<String>) -> Result<Vec<serde_json::Value>, String> {
        Err("this server only reads (palabre bench-inbox)".into())
    }
    fn bot_paused(&self, _: &str, _: bool) {}
    fn outbox_changed(&self) {}
    fn draft_approved(&self, _: &str, _: &str) {}
}

pub fn run(args: &InboxBenchArgs) -> anyhow::Result<InboxBench> {
    let (conversations, messages) = fill(&args.store, args.conversations, args.messages_per)?;
    let mut ws = Workspace::open(&args.store)?;
    let token = palabre_web::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = match ws.user_by_name("bench")? {
        Some(u) => u.id,
        None => ws
            .create_user("bench", "Bench", "-", Role::Manager, &[])?
            .ok_or_else(|| anyhow::anyhow!("cannot create the bench user"))?,
    };
    ws.create_api_token(user, &palabre_web::auth::token_hash(&token), "bench")?;
    let indexed = if args.search {
        let started = Instant::now();
        let n = ws.index_search_fully(50_000)?;
        Some((n, started.elapsed().as_secs_f64()))
    } else {
        None
    };
    drop(ws);

    let pool = palabre_web::Pool::open(&args.store, 8)?;
    let state = palabre_web::AppState::new(
        pool,
        Arc::new(ReadOnly),
        palabre_web::Live::new(),
        palabre_web::Settings::default(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // As many blocking threads as store connections: more would only wait for one.
        .max_blocking_threads(8)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(palabre_web::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = palabre_web::Limits::default();
    let server = runtime.spawn(palabre_web::serve(listener, state, limits, async {
        let _ = stopped.await;
    }));

    let per_client = args.requests.div_ceil(args.clients.max(1));
    let started = Instant::now();
    let results: Vec<anyhow::Result<Vec<(Kind, Duration)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.clients.max(1))
            .map(|c| {
                let token = token.clone();
                let search = args.search;
                scope.spawn(move || {
                    client(addr, &token, c as u64, per_client, conversations, search)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a client panicked")))
            })
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = runtime.block_on(server);
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for r in results {
        for (kind, d) in r? {
            samples[kind as usize].push(d);
        }
    }
    let total: usize = samples.iter().map(Vec::len).sum();
    let [mut lists, mut views, mut searches] = samples;
    let mut latencies = vec![
        latency("inbox list (/api/conversations)", &mut lists),
        latency("conversation view (/api/conversations/{id})", &mut views),
    ];
    if args.search {
        latencies.push(latency(
            "text search (/api/conversations?q=)",
            &mut searches,
        ));
    }
    Ok(InboxBench {
        conversations,
        messages,
        indexed,
        clients: args.clients,
        seconds,
        requests_per_second: total as f64 / seconds,
        latencies,
    })
}

fn latency(request: &'static str, samples: &mut [Duration]) -> Latency {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Latency {
        request,
        count: samples.len(),
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
        max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    }
}

/// What a client asked.
#[derive(Clone, Copy)]
enum Kind {
    List = 0,
    View = 1,
    Search = 2,
}

/// One keep-alive client: alternates list pages (several filters) and random conversations,
/// and with `search`, one request in five looks for a word of one random conversation.
fn client(
    addr: std::net::SocketAddr,
    token: &str,
    seed: u64,
    requests: usize,
    conversations: i64,
    search: bool,
) -> anyhow::Result<Vec<(Kind, Duration)>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let lists = [
        "/api/conversations",
        "/api/conversations?status=open&queue=inbox",
        "/api/conversations?status=all",
        "/api/conversations?status=resolved",
    ];
    let mut out = Vec::with_capacity(requests);
    let mut line = String::new();
    for i in 0..requests {
        let kind = if search && i % 5 == 4 {
            Kind::Search
        } else if i % 2 == 0 {
            Kind::List
        } else {
            Kind::View
        };
        let conversation = rng.i64(0..conversations.max(1));
        let path = match kind {
            Kind::List => lists[rng.usize(..lists.len())].to_owned(),
            Kind::View => format!("/api/conversations/x%3Ac{conversation}"),
            // A rare string (one conversation's number) and a common word, in turn.
            Kind::Search if i % 10 == 4 => {
                format!("/api/conversations?status=all&q={conversation}%3A")
            }
            Kind::Search => "/api/conversations?status=all&q=retard".to_owned(),
        };
        let started = Instant::now();
        write!(
            writer,
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
        )?;
        writer.flush()?;
        let mut length = 0usize;
        line.clear();
        reader.read_line(&mut line)?;
        if !line.starts_with("HTTP/1.1 200") {
            anyhow::bail!("GET {path}: {}", line.trim());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        out.push((kind, started.elapsed()));
    }
    Ok(out)
}

/// Fills the store unless it already holds the conversations asked for; the counts.
/// Fills the SQLite file `location` with `conversations` synthetic conversations of
/// `messages_per` messages (X, ids `c…`), unless it holds them already (then it is reused).
pub fn fill(location: &str, conversations: u64, messages_per: u64) -> anyhow::Result<(i64, i64)> {
    if let Some(dir) = std::path::Path::new(location).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut store = palabre_store::open(location)?;
    let counts = store.counts()?;
    let wanted = conversations as i64;
    if counts.conversations as i64 >= wanted {
        eprintln!(
            "reusing {location} ({} conversations, {} messages)",
            counts.conversations, counts.messages
        );
        return Ok((wanted, counts.messages as i64));
    }
    let total = conversations * messages_per;
    eprintln!("filling {location} with {conversations} conversations and {total} messages…");
    let progress = indicatif::ProgressBar::new(total);
    let base = Timestamp::now().as_second() - 30 * 86_400;
    let mut batch = Vec::with_capacity(20_000);
    let mut rng = fastrand::Rng::with_seed(11);
    let mut written = 0u64;
    for n in 0..total {
        let conversation = n % conversations;
        let turn = n / conversations;
        let author = rng.u64(0..conversations / 4 + 1);
        batch.push(entry(
            conversation,
            turn,
            author,
            base + n as i64 / 4,
            &mut rng,
        )?);
        if batch.len() == batch.capacity() {
            store.write(&batch)?;
            written += batch.len() as u64;
            progress.set_position(written);
            batch.clear();
        }
    }
    store.write(&batch)?;
    progress.finish_and_clear();
    let counts = store.counts()?;
    Ok((counts.conversations as i64, counts.messages as i64))
}

fn entry(
    conversation: u64,
    turn: u64,
    author: u64,
    at: i64,
    rng: &mut fastrand::Rng,
) -> anyhow::Result<Entry> {
    let id = format!("c{conversation}t{turn}");
    let root = format!("c{conversation}");
    let mut message = Message::new(
        EventId::new(
            Platform::X,
            ExternalId::new(if turn == 0 { &root } else { &id })?,
        ),
        if turn == 0 {
            MessageKind::Post
        } else {
            MessageKind::Reply
        },
        MessageText::new(format!(
            "@brand message {turn} in conversation {conversation}: le train de 8h12 est encore en retard"
        ))?,
        palabre_core::Author {
            id: format!("u{author}"),
            handle: Some(format!("user{author}")),
            ..Default::default()
        },
        Timestamp::from_second(at)?,
    );
    message.raw = format!("{{\"id\":\"{id}\"}}").into();
    // A fifth of the conversations were answered by the bot alone; the rest need a human.
    let bot_only = conversation.is_multiple_of(5);
    let mut decision = if bot_only {
        Decision::new(Outcome::BotReplied, vec![Reason::CampaignAnswer])
    } else {
        Decision::new(Outcome::RoutedToHuman, vec![Reason::Mention])
    };
    decision.conversation = Some(ConversationId::from_stored(&format!("x:{root}")));
    decision.queue = (!bot_only).then(|| "inbox".to_owned());
    let negative = rng.u8(..4) == 0;
    decision.triage = Some(Triage {
        lang: if rng.bool() { Lang::Fr } else { Lang::En },
        sentiment: Sentiment {
            label: if negative {
                SentimentLabel::Negative
            } else {
                SentimentLabel::Neutral
            },
            score: if negative { -0.6 } else { 0.1 },
        },
        emotion: if rng.u8(..20) == 0 {
            Emotion::Anger
        } else {
            Emotion::None
        },
        toxic: false,
        intent: if negative {
            Intent::Complaint
        } else {
            Intent::Question
        },
        author_kind: AuthorKind::Person,
        spam: false,
    });
    let keys = MessageKeys {
        event: xxhash_rust::xxh3::xxh3_64(id.as_bytes()),
        content: xxhash_rust::xxh3::xxh3_64(message.text.as_str().as_bytes()),
        request: None,
    };
    let decided = message.created_at;
    Ok(Entry::message(Box::new(message), keys, decision, decided))
}

pub fn render(r: &InboxBench) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{} conversations, {} messages; {} clients; {:.0} requests/s over {:.1} s\n",
        r.conversations, r.messages, r.clients, r.requests_per_second, r.seconds
    );
    if let Some((n, secs)) = r.indexed {
        let _ = writeln!(
            out,
            "  search index: {n} messages indexed in {secs:.1} s before the run"
        );
    }
    for l in &r.latencies {
        let _ = writeln!(
            out,
            "  {:<46} n={:<6} p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
            l.request, l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
    }
    out
}
