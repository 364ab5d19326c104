//! A resolver that remembers: ureq looks the host up before every request — even one that a
//! pooled connection will carry — and, when a timeout applies, in a new thread each time. A
//! connector talks to a handful of platform hosts, so their addresses are kept for a minute:
//! the outbox sender created ~520 threads a second at 5,700 events/s without it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a host's addresses are used before it is looked up again.
const KEEP: Duration = Duration::from_secs(60);

/// `inner`'s answers, kept for [`KEEP`] per scheme and authority.
#[derive(Debug, Default)]
pub struct Remembering<R = DefaultResolver> {
    inner: R,
    known: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl<R: Resolver> Remembering<R> {
    pub fn new(inner: R) -> Self {
        Remembering {
            inner,
            known: Mutex::new(HashMap::new()),
        }
    }
}

impl<R: Resolver> Resolver for Remembering<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        let now = Instant::now();
        if let Ok(known) = self.known.lock()
            && let Some((at, addrs)) = known.get(&key)
            && now.duration_since(*at) < KEEP
        {
            return Ok(addrs.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut known) = self.known.lock() {
            known.insert(key, (now, addrs.clone()));
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The default resolver, counting its lookups.
    #[derive(Debug, Default)]
    struct Counting {
        lookups: Arc<AtomicUsize>,
        inner: DefaultResolver,
    }

    impl Resolver for Counting {
        fn resolve(
            &self,
            uri: &Uri,
            config: &Config,
            timeout: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            self.inner.resolve(uri, config, timeout)
        }
    }

    /// A server answering `200 ok` to every request of every connection.
    fn server() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut out = conn;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            let _ =
                                out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                        }
                    }
                });
            }
        });
        format!("http://localhost:{}", addr.port())
    }

    #[test]
    fn a_host_is_looked_up_once_for_many_requests() {
        let url = server();
        let counting = Counting::default();
        let lookups = counting.lookups.clone();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            Remembering::new(counting),
        );
        for _ in 0..5 {
            let body = agent
                .get(&format!("{url}/x"))
                .call()
                .unwrap()
                .into_body()
                .read_to_string()
                .unwrap();
            assert_eq!(body, "ok");
        }
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            1,
            "one lookup for five requests"
        );
    }
}
