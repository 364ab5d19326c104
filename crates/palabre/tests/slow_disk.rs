//! A store on a slow disk: every `fsync` takes 20 ms (an `LD_PRELOAD` shim, built at test time
//! with the C compiler Rust links with, that also counts the calls). Concurrent `/api/events`
//! requests share commits — far fewer flushes than requests — and every event is answered
//! and recorded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_long calls;

static void count(void) {
    long n = atomic_fetch_add(&calls, 1) + 1;
    const char *path = getenv("SLOW_FSYNC_COUNT");
    if (!path) return;
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
        if (pwrite(fd, &n, sizeof n, 0) < 0) {}
        close(fd);
    }
}

static int slow(int fd, const char *name) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    usleep(20000);
    count();
    return real(fd);
}

int fsync(int fd) { return slow(fd, "fsync"); }
int fdatasync(int fd) { return slow(fd, "fdatasync"); }
"#;

fn build_shim(dir: &Path) -> PathBuf {
    let source = dir.join("slow_fsync.c");
    std::fs::write(&source, SHIM).unwrap();
    let shim = dir.join("slow_fsync.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&shim)
        .arg(&source)
        .arg("-ldl")
        .status()
        .expect("cc (the C compiler Rust links with) runs");
    assert!(status.success(), "the fsync shim did not build");
    shim
}

fn fsyncs(counter: &Path) -> i64 {
    std::fs::read(counter).map_or(0, |b| {
        i64::from_ne_bytes(b[..8].try_into().expect("8 bytes"))
    })
}

#[test]
fn a_slow_disk_makes_commits_shared_not_requests_lost() {
    let dir = tempfile::tempdir().unwrap();
    let shim = build_shim(dir.path());
    let counter = dir.path().join("fsyncs");
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        "[[channels]]\nplatform = \"x\"\nid = \"1000\"\nhandle = \"lumiere_tr\"\n",
    )
    .unwrap();
    let shim_path = shim.display().to_string();
    let counter_path = counter.display().to_string();
    let app = spawn_with_config(
        &config,
        &[
            ("LD_PRELOAD", shim_path.as_str()),
            ("SLOW_FSYNC_COUNT", counter_path.as_str()),
        ],
    );
    let token = app.user("manon", "manager", "", "a long enough password 42");
    let before = fsyncs(&counter);
    assert!(before > 0, "the shim slows and counts serve's fsyncs");

    const CLIENTS: usize = 8;
    const REQUESTS: usize = 20;
    const EVENTS: usize = 5;
    let started = std::time::Instant::now();
    let decisions: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let app = &app;
                let token = &token;
                scope.spawn(move || {
                    let mut decided = 0;
                    for r in 0..REQUESTS {
                        let lines: Vec<String> = (0..EVENTS)
                            .map(|e| {
                                mention(
                                    &format!("{}", 1_000_000 + (c * REQUESTS + r) * EVENTS + e),
                                    &format!("{}", 500 + c),
                                    "Mon colis n'est pas arrivé, pouvez-vous regarder ?",
                                )
                            })
                            .collect();
                        let got = app.events(token, &lines);
                        assert_eq!(got.len(), EVENTS);
                        decided += got.len();
                    }
                    decided
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let took = started.elapsed();
    let flushes = fsyncs(&counter) - before;
    let requests = (CLIENTS * REQUESTS) as i64;
    eprintln!("{requests} requests of {EVENTS} events in {took:?} with {flushes} fsyncs of 20 ms");
    assert_eq!(decisions, CLIENTS * REQUESTS * EVENTS);
    // One request at a time, each would have cost at least one flush of its own.
    assert!(
        flushes < requests,
        "{flushes} fsyncs for {requests} requests: commits were not shared"
    );
    // Everything answered was recorded.
    let db = rusqlite::Connection::open(&app.store).unwrap();
    let stored: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE external_id >= '1000000'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, (CLIENTS * REQUESTS * EVENTS) as i64);
}
