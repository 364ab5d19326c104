//! The language model through `palabre replay`: off by default (and said so), on with
//! `[triage] model = "on"` within its budget of reads a second, and when it cannot be had,
//! said loudly while every message is still decided on the fast path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn model_dir() -> PathBuf {
    palabre_embed::default_dir()
}

fn replay(config: Option<&str>, lang: &str, stream: &str) -> Output {
    replay_with(config, &[], lang, stream)
}

fn replay_with(config: Option<&str>, args: &[&str], lang: &str, stream: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palabre"));
    cmd.env_remove("PALABRE_CONFIG")
        .env("PALABRE_LANG", lang)
        .args(["replay", "--channel", "x:1000:brand"])
        .args(args);
    if let Some(text) = config {
        let path = dir.path().join("palabre.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Three messages to the brand in the same second that the lexicons cannot read for sure.
fn unsure_stream() -> String {
    [
        "@brand le colis est reparti chez l'expéditeur sans que personne ne sonne",
        "@brand the parcel went back to the sender and nobody rang the bell",
        "@brand toujours rien reçu depuis mardi, le suivi ne bouge plus",
    ]
    .iter()
    .enumerate()
    .map(|(i, text)| {
        format!(
            r#"{{"platform":"x","id":"m{i}","text":"{text}","created_at":"2026-03-22T20:00:00Z","author":{{"id":"{i}","handle":"p{i}"}},"mentions":["brand"]}}"#
        )
    })
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn the_model_is_off_by_default_and_the_summary_says_so_in_both_languages() {
    let out = replay(None, "en", &unsure_stream());
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("language model: off"), "{err}");
    let out = replay(None, "fr", &unsure_stream());
    assert!(String::from_utf8_lossy(&out.stderr).contains("modèle de langue : désactivé"));
}

#[test]
fn the_model_reads_within_its_budget_a_second() {
    let config = format!(
        "[triage]\nmodel = \"on\"\nmodel_per_second = 1\nmodel_dir = \"{}\"\n",
        model_dir().display()
    );
    let out = replay(Some(&config), "en", &unsure_stream());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    // Three unsure messages in one second, one read a second: the model read one.
    assert!(
        err.contains("         1  / 3 read again by the language model"),
        "{err}"
    );
}

#[test]
fn a_model_that_cannot_be_had_is_said_loudly_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("a-file");
    std::fs::write(&not_a_dir, "not a directory").unwrap();
    let config = format!(
        "[triage]\nmodel = \"on\"\nmodel_dir = \"{}\"\n",
        not_a_dir.display()
    );
    let out = replay(Some(&config), "en", &unsure_stream());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("THE LANGUAGE MODEL IS NOT AVAILABLE"), "{err}");
    assert!(err.contains("language model: off"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn a_misspelt_model_setting_is_refused_with_its_name() {
    let out = replay(Some("[triage]\nmodel = \"yes\"\n"), "en", "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("expected `on` or `off`"),
        "{err}"
    );
}

#[test]
fn the_command_line_switches_the_model_over_the_configuration() {
    // `--model on` without a configuration: the default budget (5 a second) reads all three.
    let out = replay_with(None, &["--model", "on"], "en", &unsure_stream());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("         3  / 3 read again by the language model"),
        "{err}"
    );
    // `--model off` over a configuration that turns it on.
    let config = format!(
        "[triage]\nmodel = \"on\"\nmodel_dir = \"{}\"\n",
        model_dir().display()
    );
    let out = replay_with(Some(&config), &["--model", "off"], "en", &unsure_stream());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("language model: off"), "{err}");
    // Anything else is refused before any work, with the values allowed.
    let out = replay_with(None, &["--model", "maybe"], "en", "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("possible values: on, off"), "{err}");
}
