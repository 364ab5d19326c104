//! Measures campaign matching and reply rendering: 100 campaigns × 50 triggers (5,000
//! hashtags and keywords), messages of every kind, and the load time of a 1-million-row table.
//!
//! `cargo run --release -p palabre-campaigns --example match_throughput [MESSAGES]`

use minijinja::Value;
use palabre_campaigns::render::Renderer;
use palabre_campaigns::table::{Table, TableShape};
use palabre_campaigns::{CampaignReply, CampaignSet};
use palabre_core::message::MessageText;
use palabre_core::{Author, EventId, ExternalId, Lang, Message, MessageKind, Platform, Timestamp};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// Makes the text of the i-th message of one kind.
type Generator = fn(usize) -> String;

const CAMPAIGNS: usize = 100;
const TRIGGERS_PER_CAMPAIGN: usize = 50;
const TABLE_ROWS: usize = 2_000;
const BIG_TABLE_ROWS: usize = 1_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300_000);
    let dir = std::env::temp_dir().join(format!("palabre-match-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir, n);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(dir: &Path, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    write_table(&dir.join("results.csv"), TABLE_ROWS)?;
    let mut paths = Vec::new();
    for c in 0..CAMPAIGNS {
        let path = dir.join(format!("c{c:03}.toml"));
        std::fs::write(&path, campaign(c))?;
        paths.push(path);
    }
    let t = Instant::now();
    let set = CampaignSet::load(&paths)?;
    let load = t.elapsed();
    println!(
        "loaded {} campaigns, {} distinct triggers, in {:.0} ms",
        set.campaigns().len(),
        set.trigger_count(),
        load.as_secs_f64() * 1e3
    );

    let kinds: [(&str, Generator); 5] = [
        ("no trigger (ordinary posts)", ordinary),
        ("trigger, valid code (answer)", valid),
        ("trigger, repaired code (answer)", repaired),
        ("trigger, malformed (help)", malformed),
        ("keyword, not addressed (no match)", unaddressed),
    ];
    for (name, make) in &kinds {
        let msgs: Vec<Message> = (0..n / 5).filter_map(|i| message(i, &make(i))).collect();
        let (rate, answers, helps) = measure(&set, &msgs);
        println!(
            "{name:<36} {rate:>12.0} messages/s  {:>7.2} µs/message  (answers {answers}, helps {helps})",
            1e6 / rate
        );
    }
    // 80 % ordinary traffic, 20 % requests of the four other kinds.
    let mixed: Vec<Message> = (0..n)
        .filter_map(|i| {
            let make = match i % 20 {
                0..=15 => kinds[0].1,
                k => kinds[k - 15].1,
            };
            message(i, &make(i))
        })
        .collect();
    let (rate, answers, helps) = measure(&set, &mixed);
    println!(
        "{:<36} {rate:>12.0} messages/s  {:>7.2} µs/message  (answers {answers}, helps {helps})",
        "mix: 80 % ordinary, 20 % requests",
        1e6 / rate
    );

    render_alone(n)?;

    let big = dir.join("big.csv");
    write_big_table(&big, BIG_TABLE_ROWS)?;
    let size = std::fs::metadata(&big)?.len();
    let shape = TableShape {
        key: vec!["id".into()],
        required: vec!["name".into(), "a".into(), "b".into(), "c".into()],
        by_name: None,
    };
    let t = Instant::now();
    let table = Table::load(&big, &shape)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "1M-row table: {} rows, {:.1} MB, loaded and indexed in {:.2} s ({:.0} rows/s)",
        table.len(),
        size as f64 / 1e6,
        secs,
        table.len() as f64 / secs
    );
    let t = Instant::now();
    let mut found = 0usize;
    for i in 0..1_000_000usize {
        let key = format!("{:07}", (i * 7919) % BIG_TABLE_ROWS);
        found += usize::from(table.find(&[key.as_str()], &[false]).is_some());
    }
    println!(
        "1M lookups in {:.0} ms ({found} found)",
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// The rendering step alone: the link and the first reply variant, with a prepared context.
fn render_alone(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut r = Renderer::new();
    r.add("link", "https://r.example/{{ code }}")?;
    r.add(
        "reply",
        "{{ name }}, résultats (FICTIFS) à {{ commune }} : {{ first }} {{ score }} %, participation {{ turnout }} %. Tous les détails, bureau par bureau, sur notre site : {{ link }}",
    )?;
    let t = Instant::now();
    let mut bytes = 0;
    for i in 0..n {
        let ctx: Value = [
            ("name", Value::from(format!("Utilisatrice {i}"))),
            ("code", Value::from("69003")),
            ("commune", Value::from("Lyon 3e Arrondissement")),
            ("first", Value::from("Liste 3")),
            ("score", Value::from("45.3")),
            ("turnout", Value::from("55.5")),
        ]
        .into_iter()
        .collect();
        let link = r.render("link", &ctx)?;
        let ctx = minijinja::value::merge_maps([
            [("link", Value::from(link))].into_iter().collect::<Value>(),
            ctx,
        ]);
        bytes += r.render("reply", &ctx)?.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:<36} {:>12.0} replies/s   {:>7.2} µs/reply    ({} bytes)",
        "rendering alone (context+link+reply)",
        n as f64 / secs,
        secs * 1e6 / n as f64,
        bytes
    );
    Ok(())
}

fn measure(set: &CampaignSet, msgs: &[Message]) -> (f64, usize, usize) {
    // Warm up, then time.
    for m in msgs.iter().take(1000) {
        std::hint::black_box(set.evaluate(m, Lang::Fr));
    }
    let t = Instant::now();
    let (mut answers, mut helps) = (0, 0);
    for m in msgs {
        match set.evaluate(m, Lang::Fr).map(|r| r.reply) {
            Some(CampaignReply::Answer { .. }) => answers += 1,
            Some(CampaignReply::Help { .. }) => helps += 1,
            _ => {}
        }
    }
    let secs = t.elapsed().as_secs_f64();
    (msgs.len() as f64 / secs, answers, helps)
}

fn tag(c: usize, t: usize) -> String {
    format!("Élection{c}Tag{t}")
}

fn word(c: usize, t: usize) -> String {
    format!("résultat{c}x{t}")
}

fn campaign(c: usize) -> String {
    let tags: Vec<String> = (0..TRIGGERS_PER_CAMPAIGN / 2)
        .map(|t| format!("{:?}", tag(c, t)))
        .collect();
    let words: Vec<String> = (0..TRIGGERS_PER_CAMPAIGN / 2)
        .map(|t| format!("{:?}", word(c, t)))
        .collect();
    format!(
        r##"id = "c{c:03}"
name = "Campaign {c}"
channels = ["x:1000:brand"]
mode = "auto"
window = "6h"

[trigger]
hashtags = [{}]
keywords = [{}]

[[extract]]
name = "code"
kind = "postal_code"

[table]
file = "results.csv"
key = ["code"]

[reply]
link = "https://r.example/{{{{ code }}}}"
fr = [
    "{{{{ name }}}}, résultats (FICTIFS) à {{{{ commune }}}} : {{{{ first }}}} {{{{ score }}}} %, participation {{{{ turnout }}}} %. Tous les détails, bureau par bureau, sur notre site : {{{{ link }}}}",
    "{{{{ commune }}}} : {{{{ first }}}} {{{{ score }}}} % {{{{ link }}}}",
]

[help]
example = "#{} 10000"
fr = "Envoyez #{} suivi de votre code postal, par exemple : {{{{ example }}}}"
"##,
        tags.join(", "),
        words.join(", "),
        tag(c, 0),
        tag(c, 0)
    )
}

fn write_table(path: &Path, rows: usize) -> std::io::Result<()> {
    let mut s = String::from("code,commune,first,score,turnout\n");
    for i in 0..rows {
        let _ = writeln!(
            s,
            "{:05},Commune numéro {i},Liste {},{}.{},{}.{}",
            10_000 + i,
            i % 7,
            30 + i % 40,
            i % 10,
            45 + i % 30,
            i % 10
        );
    }
    std::fs::write(path, s)
}

fn write_big_table(path: &Path, rows: usize) -> std::io::Result<()> {
    let mut s = String::with_capacity(rows * 48);
    s.push_str("id,name,a,b,c\n");
    for i in 0..rows {
        let _ = writeln!(
            s,
            "{i:07},Name {i},{},{}.5,route-{}",
            i % 997,
            i % 100,
            i % 13
        );
    }
    std::fs::write(path, s)
}

fn pick(i: usize) -> (usize, usize) {
    ((i * 31) % CAMPAIGNS, (i * 17) % (TRIGGERS_PER_CAMPAIGN / 2))
}

fn ordinary(i: usize) -> String {
    let texts = [
        "Quelle soirée ! Les résultats tombent petit à petit, on reste devant la télé avec les voisins",
        "@brand merci pour la couverture en direct, très clair et très complet ce soir 👏",
        "Anyone else watching the results tonight? The turnout looks higher than last time #election",
        "Je ne comprends rien aux chiffres de participation, quelqu'un peut m'expliquer ?",
    ];
    texts[i % texts.len()].to_owned()
}

fn valid(i: usize) -> String {
    let (c, t) = pick(i);
    format!("#{} {:05} merci !", tag(c, t), 10_000 + i % TABLE_ROWS)
}

fn repaired(i: usize) -> String {
    let (c, t) = pick(i);
    let code = format!("{:05}", 10_000 + i % TABLE_ROWS);
    format!(
        "#{} {} {}",
        tag(c, t),
        &code[..2],
        code[2..].replace('0', "O")
    )
}

fn malformed(i: usize) -> String {
    let (c, t) = pick(i);
    format!("#{} c'est où les résultats ?", tag(c, t))
}

fn unaddressed(i: usize) -> String {
    let (c, t) = pick(i);
    format!("Mon {} 10000 est une bonne nouvelle", word(c, t))
}

fn message(i: usize, text: &str) -> Option<Message> {
    let id = ExternalId::new(&format!("{i}")).ok()?;
    let text = MessageText::new(text).ok()?;
    Some(Message::new(
        EventId::new(Platform::X, id),
        MessageKind::Post,
        text,
        Author {
            id: format!("u{}", i % 5000),
            handle: Some(format!("user{}", i % 5000)),
            display_name: Some(format!("Utilisatrice {}", i % 5000)),
            ..Author::default()
        },
        Timestamp::UNIX_EPOCH,
    ))
}
