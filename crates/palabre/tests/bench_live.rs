//! `palabre bench --mode live`, small: a local X server streams to `palabre serve` (a child
//! process) with a team of agents and a store already holding conversations; the benchmark
//! only reports once serve recorded every distinct event, and the bot's answers came back to
//! the local server through the real X sender.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

#[test]
fn the_live_benchmark_measures_serve_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args([
            "bench",
            "--mode",
            "live",
            "--rate",
            "1000",
            "--seconds",
            "3",
            "--agents",
            "30",
            "--conversations",
            "1000",
            "--campaigns",
            "1",
            "--json",
            "--data",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["events"], 3000, "{r}");
    let unique = r["unique"].as_u64().unwrap();
    assert!(
        (2700..3000).contains(&unique),
        "the mix repeats about 5% of lines: {r}"
    );
    assert_eq!(r["conversations_before"], 1000, "{r}");
    assert_eq!(r["agents"], 30);
    // Everything recorded, at about the rate offered (the run ends only then).
    let rate = r["recorded_per_second"].as_f64().unwrap();
    assert!(rate > 300.0, "{r}");
    let lag = &r["lag_ms"];
    assert!(
        lag["p50"].as_f64().unwrap() <= lag["p99"].as_f64().unwrap()
            && lag["p99"].as_f64().unwrap() <= lag["max"].as_f64().unwrap(),
        "{r}"
    );
    // The campaign answered `#MonRésultat 69003` requests through the real X sender.
    let sent = r["replies_sent"].as_u64().unwrap();
    assert!(sent > 10, "{r}");
    assert!(r["send_ms"]["p99"].as_f64().is_some(), "{r}");
    assert!(
        !r["rss_mib_by_second"].as_array().unwrap().is_empty(),
        "{r}"
    );
    // The template store is kept for the next run; the run's copy holds what serve did.
    assert!(dir.path().join("bench-live-1000.db").exists());
    assert!(dir.path().join("bench-live-run.db").exists());
}
