//! What Jetstream and the firehose share: a WebSocket connection with timeouts (plain or TLS),
//! a read loop that notices the stop flag and a silent server, and batches of lines handed to
//! the sink (up to 500 lines or 50 ms), whose checkpoint is that of the last message read.
//! A message is only ever whole: a frame cut by a disconnection is dropped by the WebSocket
//! layer, and every whole message read before the cut is handed over before returning.

use crate::client::batch::{Batcher, MAX_WAIT};
use crate::client::{Sink, SourceError, Stop};
use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// How often the read loop wakes up to flush a batch and look at the stop flag.
const TICK: Duration = MAX_WAIT;
/// An empty batch that only moves the checkpoint (events nobody wanted) goes this often.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);
/// Silence before a ping, and before giving the connection up.
const PING_AFTER: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(90);

fn disconnected(error: String) -> SourceError {
    SourceError::Disconnected {
        error,
        retry_in: None,
    }
}

/// Opens `url` (`ws://` or `wss://`) with a connect and handshake timeout.
pub fn connect(url: &str, what: &str) -> Result<Socket, SourceError> {
    let request = url
        .into_client_request()
        .map_err(|e| SourceError::Config(format!("{what}: bad URL `{url}`: {e}")))?;
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or_else(|| SourceError::Config(format!("{what}: no host in `{url}`")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("wss") {
            443
        } else {
            80
        });
    let addrs = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| disconnected(format!("{what}: cannot resolve {host}: {e}")))?;
    let mut last = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let stream = stream.ok_or_else(|| {
        disconnected(format!(
            "{what}: cannot connect to {host}:{port}: {}",
            last.map_or_else(|| "no address".to_owned(), |e| e.to_string())
        ))
    })?;
    let timeouts = |s: &TcpStream, d: Duration| {
        s.set_read_timeout(Some(d))
            .and_then(|()| s.set_write_timeout(Some(Duration::from_secs(10))))
    };
    timeouts(&stream, Duration::from_secs(10)).map_err(|e| disconnected(format!("{what}: {e}")))?;
    let (mut socket, response) = tungstenite::client_tls_with_config(request, stream, None, None)
        .map_err(|e| match e {
        tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r)) => {
            let status = r.status().as_u16();
            let body = r
                .body()
                .as_deref()
                .map(|b| crate::client::http::short(&String::from_utf8_lossy(b)))
                .unwrap_or_default();
            disconnected(format!("{what}: the handshake got HTTP {status} {body}"))
        }
        e => disconnected(format!("{what}: handshake failed: {e}")),
    })?;
    tracing::debug!(what, status = response.status().as_u16(), "connected");
    let tcp = match socket.get_mut() {
        MaybeTlsStream::Plain(s) => Some(&*s),
        MaybeTlsStream::Rustls(s) => Some(&s.sock),
        _ => None,
    };
    if let Some(tcp) = tcp {
        timeouts(tcp, TICK).map_err(|e| disconnected(format!("{what}: {e}")))?;
    }
    Ok(socket)
}

/// What one message became: lines for the sink (maybe none) and the checkpoint after it.
pub struct Read {
    pub lines: Vec<String>,
    pub checkpoint: Option<String>,
}

/// Reads `socket` until `stop` (Ok) or a failure (the error, after handing over every whole
/// message read), turning each message into lines with `read`.
pub fn pump(
    socket: &mut Socket,
    what: &str,
    sink: &mut dyn Sink,
    stop: &Stop,
    mut read: impl FnMut(Message) -> Result<Option<Read>, SourceError>,
) -> Result<(), SourceError> {
    let mut batch = Batcher::new(None);
    let mut last_seen = Instant::now();
    let mut pinged = false;
    loop {
        if stop.is_raised() {
            batch.flush(sink)?;
            let _ = socket.close(None);
            let _ = socket.flush();
            return Ok(());
        }
        let failure = match socket.read() {
            Ok(Message::Close(frame)) => Some(format!(
                "{what}: the server closed the connection{}",
                frame
                    .map(|f| format!(" ({} {})", f.code, f.reason))
                    .unwrap_or_default()
            )),
            Ok(message) => {
                last_seen = Instant::now();
                pinged = false;
                match read(message) {
                    Ok(Some(r)) => {
                        batch.extend(r.lines);
                        if let Some(checkpoint) = r.checkpoint {
                            batch.advance(checkpoint);
                        }
                        None
                    }
                    Ok(None) => None,
                    Err(e) => {
                        batch.flush(sink)?;
                        return Err(e);
                    }
                }
            }
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                None
            }
            Err(e) => Some(format!("{what}: {e}")),
        };
        if let Some(error) = failure {
            batch.flush(sink)?;
            return Err(disconnected(error));
        }
        let checkpoint_due = batch.moved() && batch.since_flush() >= CHECKPOINT_EVERY;
        if batch.lines_due() || checkpoint_due {
            batch.flush(sink)?;
        }
        let silent = last_seen.elapsed();
        if silent >= DEAD_AFTER {
            batch.flush(sink)?;
            return Err(disconnected(format!(
                "{what}: nothing received for {} s",
                silent.as_secs()
            )));
        }
        if silent >= PING_AFTER && !pinged {
            pinged = true;
            let _ = socket.send(Message::Ping(Vec::new().into()));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A `wss://` URL goes through rustls (the crypto provider is the one ureq's rustls brings):
    /// a server that is not TLS is a disconnection to retry, not a panic.
    #[test]
    fn tls_to_a_server_that_is_not_tls_is_a_disconnection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = std::io::Write::write_all(&mut s, b"HTTP/1.1 400 Bad Request\r\n\r\n");
        });
        let err = connect(&format!("wss://127.0.0.1:{port}/subscribe"), "test").unwrap_err();
        assert!(
            matches!(&err, SourceError::Disconnected { error, .. } if error.contains("handshake")),
            "{err:?}"
        );
        server.join().unwrap();
        let refused = connect(&format!("ws://127.0.0.1:{port}/subscribe"), "test").unwrap_err();
        assert!(matches!(refused, SourceError::Disconnected { .. }));
        assert!(matches!(
            connect("not a url", "test"),
            Err(SourceError::Config(_))
        ));
    }
}
