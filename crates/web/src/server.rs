//! The HTTP server: connections accepted within limits (in all, and per client address), and
//! timeouts that idle or slow clients cannot outlast (request headers, the wait for the next
//! request on a kept-alive connection, request bodies).
//!
//! Without them, ~20,000 idle connections from one host used every file descriptor and
//! `/healthz` stopped answering; a header line or a body byte every 2 s held a connection as
//! long as the client liked.

use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server's limits; `[server]` in the configuration sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time for a request's headers to arrive; also how long a kept-alive connection may wait
    /// for its next request (hyper counts both as reading a request head).
    pub header_read: Duration,
    /// Time for a request's whole body to arrive.
    pub body_read: Duration,
    /// Connections open at once; past it, new ones are closed at once.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            max_connections: 8192,
            max_connections_per_ip: 1024,
        }
    }
}

/// Connections the kernel may hold completed but not yet accepted. Tokio's default (128) was
/// overflowed by a burst of connections: the kernel then dropped handshakes, and clients waited
/// a second to retry (3,000 connections took 13 s to open instead of 0.2 s).
const BACKLOG: u32 = 4096;

/// Listens on `addr` (`host:port`; port 0 picks a free one) with a deep accept queue.
pub async fn bind(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for address in tokio::net::lookup_host(addr).await? {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(address).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, format!("{addr}: no address"))
    }))
}

/// The largest request body read (`/api/events` takes up to this).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Open connections, in all and by client address.
#[derive(Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// A connection's place in the counts, given back when it closes.
struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut c) = self.counts.lock() {
            c.total = c.total.saturating_sub(1);
            if let Some(n) = c.by_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.by_ip.remove(&self.ip);
                }
            }
        }
    }
}

/// A slot for a new connection from `ip`, or None past a limit.
fn admit(counts: &Arc<Mutex<Counts>>, ip: IpAddr, limits: &Limits) -> Option<Slot> {
    let mut c = counts.lock().ok()?;
    let from_ip = c.by_ip.get(&ip).copied().unwrap_or(0);
    if c.total >= limits.max_connections || from_ip >= limits.max_connections_per_ip {
        return None;
    }
    c.total += 1;
    *c.by_ip.entry(ip).or_insert(0) += 1;
    Some(Slot {
        counts: counts.clone(),
        ip,
    })
}

/// File descriptors kept for everything but client connections (the store, the platforms,
/// logs).
const RESERVED_FILES: u64 = 256;

/// Raises the open-files limit to what the system allows, and keeps the connection limit under
/// it: past it, `accept` fails and nobody, `/healthz` included, gets in.
fn within_file_limit(mut limits: Limits) -> Limits {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut files = getrlimit(Resource::Nofile);
    if files.current < files.maximum {
        let raised = rustix::process::Rlimit {
            current: files.maximum,
            maximum: files.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            files = raised;
        }
    }
    if let Some(open_files) = files.current {
        let room = open_files.saturating_sub(RESERVED_FILES).max(1) as usize;
        if limits.max_connections > room {
            tracing::warn!(
                max_connections = limits.max_connections,
                open_files,
                "fewer files may be open than max_connections asks: at most {room} connections"
            );
            limits.max_connections = room;
        }
    }
    limits
}

/// Serves the application on `listener` within `limits` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = Arc::new(within_file_limit(limits));
    let app = crate::router(state).layer(axum::middleware::from_fn_with_state(
        limits.clone(),
        read_body_in_time,
    ));
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut refused = 0u64;
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, never spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = admit(&counts, addr.ip(), &limits) else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    from = %addr.ip(),
                    refused,
                    max = limits.max_connections,
                    per_address = limits.max_connections_per_ip,
                    "connection limit reached: new connections are closed"
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceExt::map_request(app.clone(), move |mut r: Request<_>| {
            r.extensions_mut().insert(ConnectInfo(addr));
            r
        });
        let header_read = limits.header_read;
        tokio::spawn(async move {
            let _slot = slot;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_read)
                .serve_connection(
                    hyper_util::rt::TokioIo::new(stream),
                    hyper_util::service::TowerToHyperService::new(service),
                );
            if let Err(e) = connection.await {
                tracing::debug!(from = %addr, error = %e, "connection ended");
            }
        });
    }
}

/// Reads a request's body within the time and size limits before any handler sees it: a
/// client sending a byte every few seconds gets 408, one sending too much gets 413, as JSON.
async fn read_body_in_time(
    axum::extract::State(limits): axum::extract::State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // A declared length over the limit is refused before a byte of the body is read.
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A post's image may be heavier than any other body (Mastodon takes 16 MB).
    let max = if parts.method == axum::http::Method::POST && parts.uri.path().ends_with("/images") {
        crate::post_images::MAX_IMAGE_BODY
    } else {
        MAX_BODY
    };
    if declared.is_some_and(|n| n > max as u64) {
        return ApiError::PayloadTooLarge(format!("the body is larger than {max} bytes"))
            .into_response();
    }
    let read = tokio::time::timeout(limits.body_read, axum::body::to_bytes(body, max)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                ApiError::PayloadTooLarge(format!("the body is larger than {max} bytes"))
            } else {
                ApiError::BadRequest(format!("the body could not be read: {e}"))
            }
            .into_response();
        }
        Err(_) => {
            return ApiError::Timeout(format!(
                "the body did not arrive within {} s",
                limits.body_read.as_secs()
            ))
            .into_response();
        }
    };
    // Every JSON body this server takes is an object: `[null]` is not a token's label.
    let json = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if json && parts.method == axum::http::Method::POST && first.is_some_and(|b| *b != b'{') {
        return ApiError::Unprocessable("the body must be a JSON object".into()).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn connections_are_counted_in_all_and_per_address() {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let limits = Limits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..Limits::default()
        };
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.1".parse().unwrap();
        let first = admit(&counts, a, &limits).unwrap();
        let _second = admit(&counts, a, &limits).unwrap();
        assert!(admit(&counts, a, &limits).is_none(), "two per address");
        let _third = admit(&counts, b, &limits).unwrap();
        assert!(admit(&counts, b, &limits).is_none(), "three in all");
        drop(first);
        assert!(
            admit(&counts, a, &limits).is_some(),
            "a closed connection frees its slot"
        );
    }
}
