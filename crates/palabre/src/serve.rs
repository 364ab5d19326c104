//! `palabre serve` and `palabre demo`: the web inbox with the live engine behind it.

use crate::config::Config;
use crate::live::{self, sandbox};
use anyhow::Context;
use palabre_core::Channel;
use palabre_store::workspace::Role;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options of `palabre serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default from [server] listen, else 127.0.0.1:8080; port 0 picks one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Data directory: the SQLite store is DIR/palabre.db (default: data).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Store location instead of the data directory: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "LOCATION")]
    pub store: Option<String>,
    /// Configuration file (channels, campaigns, [server]); also PALABRE_CONFIG.
    #[arg(long, value_name = "FILE", env = "PALABRE_CONFIG")]
    pub config: Option<PathBuf>,
    /// One of the brand's own accounts, PLATFORM:ID:HANDLE; repeatable.
    #[arg(long = "channel", value_name = "PLATFORM:ID:HANDLE")]
    pub channels: Vec<Channel>,
    /// A campaign file; repeatable.
    #[arg(long = "campaign", value_name = "FILE")]
    pub campaigns: Vec<PathBuf>,
    /// Send through the built-in sandbox network instead of real platforms (tests, trials).
    #[arg(long)]
    pub sandbox: bool,
}

/// Options of `palabre demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Data directory (default: data/demo).
    #[arg(long, value_name = "DIR", default_value = "data/demo")]
    pub data: PathBuf,
    /// Milliseconds between two events of the demo stream.
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub pace: u64,
}

/// What a server needs, however it was started.
struct Plan {
    listen: String,
    location: String,
    config: Config,
    config_dir: PathBuf,
    channels: Vec<Channel>,
    campaigns: Vec<PathBuf>,
    sandbox: bool,
}

pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let location = crate::wiring::store_location(
        args.store.as_deref(),
        config.store.location.as_deref(),
        args.data.as_deref(),
    );
    let listen = args
        .listen
        .clone()
        .or(config.server.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let config_dir = args
        .config
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    run(
        Plan {
            listen,
            location,
            config,
            config_dir,
            channels: args.channels,
            campaigns: args.campaigns,
            sandbox: args.sandbox,
        },
        None,
    )
}

/// The demo organisation: who signs in, and in which teams.
const DEMO_PEOPLE: &[(&str, &str, Role, &[&str])] = &[
    ("admin", "Admin", Role::Admin, &[]),
    ("sarah", "Sarah (manager)", Role::Manager, &[]),
    ("camille", "Camille", Role::Agent, &["service-client"]),
    (
        "lucas",
        "Lucas",
        Role::Agent,
        &["service-client", "moderation"],
    ),
    ("ines", "Inès", Role::Agent, &["service-client"]),
];

pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    // The sample organisation ships in examples/demo: from the repository when run there,
    // else from where this binary was built.
    let root = [
        PathBuf::from("examples/demo"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo"),
    ]
    .into_iter()
    .find(|p| p.join("palabre.toml").is_file())
    .ok_or_else(|| {
        anyhow::anyhow!("examples/demo not found: run palabre demo from the repository")
    })?;
    let config_path = root.join("palabre.toml");
    let config = Config::load(&config_path)?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create {}", args.data.display()))?;
    let location = args.data.join("palabre.db").display().to_string();
    let mut ws = palabre_store::Workspace::open(&location)?;
    ws.set_team(
        "service-client",
        &["service-client".into(), "review".into()],
        &[],
    )?;
    ws.set_team("moderation", &["moderation".into()], &[])?;
    println!("Palabre demo: sign in with one of these accounts (new passwords each run)");
    for (name, display, role, teams) in DEMO_PEOPLE {
        let password = crate::admin::generated_password()?;
        let hash = palabre_web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
        let teams: Vec<String> = teams.iter().map(|t| (*t).to_owned()).collect();
        if ws
            .create_user(name, display, &hash, *role, &teams)?
            .is_none()
        {
            ws.set_password(name, &hash)?;
        }
        println!("  {:<8} {:<9} password: {password}", name, role.as_str());
    }
    let stream = std::fs::read_to_string(root.join("stream.jsonl"))?;
    let run_id = format!("demo{}", jiff::Timestamp::now().as_second() % 1_000_000);
    let mut script = sandbox::script(&stream, &run_id);
    // Then a crisis: a derailment, six people in distress within seconds.
    let crisis = std::fs::read_to_string(root.join("crisis.jsonl"))?;
    script.extend(sandbox::script(&crisis, &run_id));
    let played_ms = i64::try_from(script.len() as u64 * args.pace).unwrap_or(i64::MAX);
    demo_calendar(&mut ws, &config, &run_id, played_ms)?;
    drop(ws);
    run(
        Plan {
            listen: args.listen,
            location,
            config,
            config_dir: root,
            channels: Vec::new(),
            campaigns: Vec::new(),
            sandbox: true,
        },
        Some((script, args.pace)),
    )
}

/// The demo's calendar: a post scheduled for tomorrow morning, one waiting for Sarah's
/// approval, an idea without a time, and a cheerful post that falls due just after the
/// crisis at the end of the stream (`played_ms` from now): the outbox holds it.
fn demo_calendar(
    ws: &mut palabre_store::Workspace,
    config: &Config,
    run_id: &str,
    played_ms: i64,
) -> anyhow::Result<()> {
    use palabre_store::workspace::NewPost;
    let rules = config.publishing.rules().map_err(anyhow::Error::msg)?;
    let tz = jiff::tz::TimeZone::get(&rules.time_zone)?;
    let now = jiff::Timestamp::now();
    let tomorrow = now.to_zoned(tz.clone()).date().tomorrow()?;
    let at = |day: jiff::civil::Date, h: i8| -> anyhow::Result<i64> {
        Ok(day
            .at(h, 0, 0, 0)
            .to_zoned(tz.clone())?
            .timestamp()
            .as_millisecond())
    };
    let posts: [(&str, &str, &str, Option<i64>, bool); 4] = [
        (
            "hiver",
            "x:1000",
            "Les horaires d'hiver sont en ligne : https://lumiere.example/hiver",
            Some(at(tomorrow, 9)?),
            true,
        ),
        (
            "photos",
            "x:1000",
            "Partagez vos plus belles photos de voyage avec #LumièreEnVoyage ! 📸",
            // Twice the stream's own time and ten seconds: after the crisis even when
            // reading the stream takes longer than its pace.
            Some(now.as_millisecond() + 2 * played_ms + 10_000),
            true,
        ),
        (
            "concours",
            "mastodon:109",
            "Jeu-concours : gagnez un aller-retour Paris–Lyon en première classe !",
            Some(at(tomorrow.tomorrow()?, 18)?),
            false,
        ),
        (
            "merci",
            "x:1000",
            "Merci à nos équipes en gare pour ce week-end de départs.",
            None,
            false,
        ),
    ];
    for (name, channel, text, due_ms, approve) in posts {
        let id = format!("{run_id}-{name}");
        let platform = channel.split(':').next().unwrap_or("x");
        let created = ws.create_post(&NewPost {
            id: Some(&id),
            channel,
            platform,
            text,
            lang: "fr",
            due_ms,
            tz: &rules.time_zone,
            author: "camille",
            approvals_needed: 1,
            submit: due_ms.is_some(),
        })?;
        if created.is_ok() && approve {
            ws.approve_post(&id, "sarah", false)?
                .map_err(|e| anyhow::anyhow!("demo calendar: {e}"))?;
        }
    }
    Ok(())
}

fn run(mut plan: Plan, script: Option<(Vec<String>, u64)>) -> anyhow::Result<()> {
    // What the brand listens to, the platforms' streams bring: X rules, Mastodon hashtags.
    let filters = crate::listening::stream_filters(&plan.config.listening, &plan.config_dir)
        .map_err(|e| anyhow::anyhow!("configuration: [listening]: {e}"))?;
    crate::listening::add_stream_filters(&mut plan.config.accounts, &filters);
    let pipeline = crate::wiring::pipeline(
        &plan.config,
        &plan.config_dir,
        &plan.channels,
        &plan.campaigns,
        false,
        &crate::wiring::ExtraListening::default(),
    )
    .map_err(|e| anyhow::anyhow!("configuration: {e:#}"))?;
    let queues = {
        let p = pipeline.policy();
        let mut q = vec![p.default_queue.clone()];
        let listening = pipeline.listening().map(|l| &l.queue);
        for extra in [&p.guardrails.review_queue, &p.moderation.queue]
            .into_iter()
            .chain(listening)
        {
            if !q.contains(extra) {
                q.push(extra.clone());
            }
        }
        q
    };
    let live_hub = palabre_web::Live::new();
    let sandbox = plan.sandbox.then(|| Arc::new(sandbox::Sandbox::new()));
    let accounts = live::accounts::build_all(&plan.config.accounts)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    for account in &accounts {
        let known = pipeline
            .policy()
            .channels
            .iter()
            .any(|c| c.platform.as_str() == account.platform);
        // Reviews are addressed to the brand by nature; everything else needs the channel.
        let reviews = matches!(account.platform.as_str(), "google" | "trustpilot");
        if !known && !reviews {
            tracing::warn!(
                account = %account.name,
                platform = %account.platform,
                "no [[channels]] entry for this platform: what the account reads will not be recognised as addressed to the brand (add the account's id and handle as a channel)"
            );
        }
    }
    // Channels that name the account answering for them (checked against the accounts built).
    let mut channel_accounts = std::collections::HashMap::new();
    for c in &plan.config.channels {
        let (Some(name), Ok(channel)) = (&c.account, c.to_channel()) else {
            continue;
        };
        if !accounts
            .iter()
            .any(|a| &a.name == name && a.sender.is_some())
        {
            anyhow::bail!(
                "configuration: channel {}: account `{name}` cannot send (its configuration gives no way to post)",
                channel.key()
            );
        }
        channel_accounts.insert(channel.key(), name.clone());
    }
    let channels: Vec<palabre_web::ChannelInfo> = pipeline
        .policy()
        .channels
        .iter()
        .map(|c| palabre_web::ChannelInfo {
            key: c.key(),
            platform: c.platform.as_str().to_owned(),
            handle: c.handle.clone(),
        })
        .collect();
    let attempts = plan
        .config
        .server
        .outbox_attempts
        .unwrap_or(crate::config::DEFAULT_OUTBOX_ATTEMPTS);
    // The question each FAQ entry answers, quoted beside its answers in the inbox.
    let faq_questions: std::collections::BTreeMap<String, String> = pipeline
        .campaigns()
        .map(|set| {
            set.campaigns()
                .iter()
                .filter_map(|c| c.faq.as_ref().map(|faq| (c, faq)))
                .flat_map(|(c, faq)| {
                    faq.entries.iter().filter_map(move |e| {
                        let question = e.questions.first()?;
                        Some((format!("{} faq={}", c.id, e.id), question.clone()))
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // How long each campaign's answers may wait in the outbox.
    let stale = pipeline
        .campaigns()
        .map(|set| {
            set.campaigns()
                .iter()
                .filter_map(|c| c.stale.map(|s| (c.id.clone(), s)))
                .collect()
        })
        .unwrap_or_default();
    // Before any source reads: on a large store this one-time fill holds the write lock for
    // a while (a million conversations: about a second).
    fill_unknown_channels(&plan.location, &channels)?;
    let stop = palabre_connectors::client::Stop::new();
    let running = live::start(
        &plan.location,
        pipeline,
        live::Accounts {
            list: accounts,
            by_channel: channel_accounts,
        },
        sandbox.clone(),
        live_hub.clone(),
        live::outbox::Settings {
            max_attempts: attempts,
            node: node_name(&plan.config.server),
            pace: plan.config.pace(),
            stale,
            media_url: plan.config.publishing.media_url.clone(),
        },
        &stop,
    )
    .with_context(|| {
        format!(
            "cannot open the store at {}",
            palabre_store::describe(&plan.location)
        )
    })?;
    let pool = palabre_web::Pool::open(&plan.location, 8)?;
    let secs = |raw: &Option<String>, default: i64| -> anyhow::Result<i64> {
        match raw {
            Some(r) => {
                crate::config::parse_duration(r).map_err(|e| anyhow::anyhow!("[server]: {e}"))
            }
            None => Ok(default),
        }
    };
    let limits = server_limits(&plan.config.server)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // As many blocking threads as store connections: more would only wait for one.
        .max_blocking_threads(8)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = palabre_web::bind(&plan.listen)
            .await
            .with_context(|| format!("cannot listen on {}", plan.listen))?;
        let addr = listener.local_addr()?;
        let settings = palabre_web::Settings {
            first_response_secs: secs(&plan.config.server.first_response, 3600)?,
            next_response_secs: secs(&plan.config.server.next_response, 4 * 3600)?,
            secure_cookies: !addr.ip().is_loopback(),
            canned: plan
                .config
                .server
                .canned
                .iter()
                .map(|c| (c.name.clone(), c.text.clone()))
                .collect(),
            queues,
            channels,
            streams_per_user: plan.config.server.streams_per_user.unwrap_or(8),
            faq_questions,
            publishing: plan.config.publishing.rules().map_err(anyhow::Error::msg)?,
            geofences: crate::listening::fence_views(&plan.config.listening, &plan.config_dir)
                .map_err(anyhow::Error::msg)?,
            ..Default::default()
        };
        let engine: Arc<dyn palabre_web::Engine> = running.engine.clone();
        let state = palabre_web::AppState::new(pool, engine, live_hub, settings);
        // Tests and scripts read this line to find the port.
        println!("listening on http://{addr}");
        tracing::info!(%addr, store = %palabre_store::describe(&plan.location), "serving");
        if let Some((lines, pace)) = script {
            let engine = running.engine.clone();
            let sandbox = sandbox.clone();
            std::thread::spawn(move || play(&*engine, sandbox.as_deref(), lines, pace));
        }
        palabre_web::serve(listener, state, limits, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok::<(), anyhow::Error>(())
    })
}

/// This process's name among those sharing the store (`[server] node`, else the host's name).
fn node_name(server: &crate::config::ServerSection) -> String {
    server.node.clone().unwrap_or_else(|| {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    })
}

/// The server's timeouts and limits from `[server]`: defaults for what is not set, a clear
/// error for a zero or an unreadable duration.
fn server_limits(server: &crate::config::ServerSection) -> anyhow::Result<palabre_web::Limits> {
    let defaults = palabre_web::Limits::default();
    let duration = |key: &str, raw: &Option<String>, default: std::time::Duration| match raw {
        None => Ok(default),
        Some(r) => match crate::config::parse_duration(r) {
            Ok(secs) if secs > 0 => Ok(std::time::Duration::from_secs(secs as u64)),
            Ok(_) => Err(anyhow::anyhow!("[server] {key}: must be at least 1s")),
            Err(e) => Err(anyhow::anyhow!("[server] {key}: {e}")),
        },
    };
    let count = |key: &str, raw: Option<usize>, default: usize| match raw {
        Some(0) => Err(anyhow::anyhow!("[server] {key}: must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    if server.streams_per_user == Some(0) {
        anyhow::bail!("[server] streams_per_user: must be at least 1");
    }
    Ok(palabre_web::Limits {
        header_read: duration(
            "header_timeout",
            &server.header_timeout,
            defaults.header_read,
        )?,
        body_read: duration("body_timeout", &server.body_timeout, defaults.body_read)?,
        max_connections: count(
            "max_connections",
            server.max_connections,
            defaults.max_connections,
        )?,
        max_connections_per_ip: count(
            "max_connections_per_ip",
            server.max_connections_per_ip,
            defaults.max_connections_per_ip,
        )?,
    })
}

/// Conversations stored before they kept their channel: on a platform with a single channel
/// they can only be that channel's, and teams limited to it should see them.
fn fill_unknown_channels(
    location: &str,
    channels: &[palabre_web::ChannelInfo],
) -> anyhow::Result<()> {
    let mut ws = palabre_store::Workspace::open(location)?;
    for c in channels {
        let alone = channels.iter().filter(|o| o.platform == c.platform).count() == 1;
        if alone && c.platform != "generic" {
            let n = ws.fill_unknown_channel(&c.platform, &c.key)?;
            if n > 0 {
                tracing::info!(channel = %c.key, conversations = n, "older conversations given their channel");
            }
        }
    }
    Ok(())
}

/// Plays the demo stream into the engine, one event every `pace` ms; the sandbox fails a few
/// sends on the way, so that retries show.
fn play(
    engine: &dyn palabre_web::Engine,
    sandbox: Option<&sandbox::Sandbox>,
    lines: Vec<String>,
    pace: u64,
) {
    for (i, line) in lines.into_iter().enumerate() {
        if i == 6
            && let Some(s) = sandbox
        {
            s.fail_next(&[
                sandbox::Failure::ServerError,
                sandbox::Failure::RateLimited(3000),
            ]);
        }
        if i == 14
            && let Some(s) = sandbox
        {
            // One refusal, to show a dead letter and its retry button.
            s.fail_next(&[sandbox::Failure::Refused]);
        }
        if let Err(e) = engine.submit(vec![line]) {
            tracing::error!(error = %e, "demo stream stopped");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(pace));
    }
    tracing::info!("demo stream finished");
}
