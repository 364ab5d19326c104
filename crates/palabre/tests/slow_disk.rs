//! A store on a slow or failing disk, through `LD_PRELOAD` shims built at test time with the C
//! compiler Rust links with. Slow: every `fsync` takes 20 ms (and is counted); concurrent
//! `/api/events` requests share commits — far fewer flushes than requests — and every event is
//! answered and recorded. Failing: the store's WAL cannot be flushed for a while; the request
//! is answered with an error, and the same events sent again are recorded, not dropped as
//! already seen.

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

/// Fails every flush of the store's WAL (`…/palabre.db-wal`, not the search index's) with EIO
/// while the file named by `FAIL_FSYNC_WHILE` exists.
const FAILING_SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failing(int fd) {
    const char *trigger = getenv("FAIL_FSYNC_WHILE");
    if (!trigger || access(trigger, F_OK) != 0) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = 0;
    const char *wal = "/palabre.db-wal";
    size_t len = strlen(path), suffix = strlen(wal);
    return len >= suffix && strcmp(path + len - suffix, wal) == 0;
}

static int flush(int fd, const char *name) {
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    return real(fd);
}

int fsync(int fd) { return flush(fd, "fsync"); }
int fdatasync(int fd) { return flush(fd, "fdatasync"); }
"#;

fn build_shim(dir: &Path) -> PathBuf {
    build(dir, "slow_fsync", SHIM)
}

fn build(dir: &Path, name: &str, code: &str) -> PathBuf {
    let source = dir.join(format!("{name}.c"));
    std::fs::write(&source, code).unwrap();
    let shim = dir.join(format!("{name}.so"));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&shim)
        .arg(&source)
        .arg("-ldl")
        .status()
        .expect("cc (the C compiler Rust links with) runs");
    assert!(status.success(), "the {name} shim did not build");
    shim
}

fn fsyncs(counter: &Path) -> i64 {
    std::fs::read(counter).map_or(0, |b| {
        i64::from_ne_bytes(b[..8].try_into().expect("8 bytes"))
    })
}

/// `serve` with the brand's X channel, the shim preloaded with `var` set to `file`; a
/// manager's token.
fn serve_with_shim(dir: &Path, shim: &Path, var: &str, file: &Path) -> (App, String) {
    let config = dir.join("palabre.toml");
    std::fs::write(
        &config,
        "[[channels]]\nplatform = \"x\"\nid = \"1000\"\nhandle = \"lumiere_tr\"\n",
    )
    .unwrap();
    let shim_path = shim.display().to_string();
    let file_path = file.display().to_string();
    let app = spawn_with_config(
        &config,
        &[
            ("LD_PRELOAD", shim_path.as_str()),
            (var, file_path.as_str()),
        ],
    );
    let token = app.user("manon", "manager", "", "a long enough password 42");
    (app, token)
}

#[test]
fn a_slow_disk_makes_commits_shared_not_requests_lost() {
    let dir = tempfile::tempdir().unwrap();
    let shim = build_shim(dir.path());
    let counter = dir.path().join("fsyncs");
    let (app, token) = serve_with_shim(dir.path(), &shim, "SLOW_FSYNC_COUNT", &counter);
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

#[test]
fn a_write_the_disk_refuses_loses_nothing_and_the_events_sent_again_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let shim = build(dir.path(), "failing_fsync", FAILING_SHIM);
    let trigger = dir.path().join("fail-now");
    let (app, token) = serve_with_shim(dir.path(), &shim, "FAIL_FSYNC_WHILE", &trigger);
    let lines: Vec<String> = (1..=3)
        .map(|i| {
            mention(
                &format!("{}", 2_000_000 + i),
                &format!("{}", 700 + i),
                "Mon colis n'est pas arrivé, pouvez-vous regarder ?",
            )
        })
        .collect();
    let stored = || -> i64 {
        rusqlite::Connection::open(&app.store)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM messages WHERE external_id > '2000000'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };

    // The disk refuses: the client is told, nothing is stored.
    std::fs::write(&trigger, b"").unwrap();
    let (status, body) = app.post_events(&token, &lines);
    std::fs::remove_file(&trigger).unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body.to_lowercase().contains("disk i/o error"), "{body}");
    assert_eq!(stored(), 0);

    // The disk is back: the same events are decided as new and recorded.
    let decisions = app.events(&token, &lines);
    assert_eq!(decisions.len(), 3);
    for d in &decisions {
        assert_eq!(d["outcome"], "routed_to_human", "decided anew: {d}");
    }
    assert_eq!(stored(), 3, "every event sent again is recorded");
}
