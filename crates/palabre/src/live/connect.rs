//! The supervisor of the sources: one thread per source, which resumes from the saved
//! checkpoint, hands batches to the ingest thread (stored before the checkpoint moves), and on
//! a failure records the account's health (shown in the inbox), then reconnects with backoff.
//! An expired or revoked token is retried rarely (every 10 minutes at most), never in a loop.

use super::Command;
use palabre_connectors::client::{Backoff, Batch, Sink, Source, SourceError, Stop};
use palabre_store::Workspace;
use palabre_store::workspace::ConnectorStatus;
use palabre_web::{Live, LiveEvent};
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, sync_channel};
use std::time::Duration;

/// Hands a source's batches to the ingest thread: up to [`IN_FLIGHT`] of them may be decided
/// and recorded while the source reads the next one; past that it waits for the oldest to be
/// stored. The checkpoints are saved in order, each with its batch's group.
struct IngestSink {
    key: String,
    platform: String,
    commands: Sender<Command>,
    /// Answered when each batch handed on is recorded, oldest first.
    in_flight: VecDeque<Receiver<Result<(), String>>>,
    /// Set once a batch was stored: the connection works.
    healthy: bool,
}

/// Batches of one source handed on and not recorded yet, at most.
const IN_FLIGHT: usize = 32;

impl IngestSink {
    /// Waits for the oldest batch handed on to be recorded.
    fn wait_oldest(&mut self) -> Result<(), String> {
        if let Some(done) = self.in_flight.pop_front() {
            done.recv()
                .map_err(|_| "the ingest thread stopped".to_owned())??;
            self.healthy = true;
        }
        Ok(())
    }

    /// Waits for every batch handed on (when the source stops).
    fn settle(&mut self) -> Result<(), String> {
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }
}

impl Sink for IngestSink {
    fn accept(&mut self, batch: Batch) -> Result<(), String> {
        let (tx, rx) = sync_channel(1);
        self.commands
            .send(Command::Batch {
                source: self.key.clone(),
                platform: self.platform.clone(),
                batch,
                first: !self.healthy && self.in_flight.is_empty(),
                done: tx,
            })
            .map_err(|_| "the ingest thread stopped".to_owned())?;
        self.in_flight.push_back(rx);
        while self.in_flight.len() > IN_FLIGHT {
            self.wait_oldest()?;
        }
        // What is already recorded says the connection works, without waiting.
        while let Some(done) = self.in_flight.front() {
            match done.try_recv() {
                Ok(result) => {
                    self.in_flight.pop_front();
                    result?;
                    self.healthy = true;
                }
                Err(_) => break,
            }
        }
        Ok(())
    }
}

/// Starts one thread per source of each account.
pub fn spawn_sources(
    location: &str,
    accounts: &mut [super::accounts::Account],
    commands: &Sender<Command>,
    live: &Live,
    stop: &Stop,
) -> anyhow::Result<()> {
    for account in accounts.iter_mut() {
        for (kind, source) in std::mem::take(&mut account.sources) {
            let key = format!("{}/{kind}", account.name);
            let ws = Workspace::open(location)?;
            let supervisor = Supervisor {
                account: account.name.clone(),
                platform: account.platform.clone(),
                key: key.clone(),
                ws,
                live: live.clone(),
                stop: stop.clone(),
            };
            let commands = commands.clone();
            std::thread::Builder::new()
                .name(format!("source {key}"))
                .spawn(move || supervisor.run(source, commands))?;
        }
    }
    Ok(())
}

struct Supervisor {
    account: String,
    platform: String,
    key: String,
    ws: Workspace,
    live: Live,
    stop: Stop,
}

impl Supervisor {
    fn run(mut self, mut source: Box<dyn Source>, commands: Sender<Command>) {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        let mut auth_backoff = Backoff::new(Duration::from_secs(60), Duration::from_secs(600));
        while !self.stop.is_raised() {
            let checkpoint = match self.ws.checkpoint(&self.key) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(source = %self.key, error = %e, "cannot read the checkpoint; retrying");
                    if self.stop.sleep(backoff.next_delay()) {
                        return;
                    }
                    continue;
                }
            };
            tracing::info!(source = %self.key, checkpoint = ?checkpoint, "reading");
            let mut sink = IngestSink {
                key: self.key.clone(),
                platform: self.platform.clone(),
                commands: commands.clone(),
                in_flight: VecDeque::new(),
                healthy: false,
            };
            let mut result = source.run(checkpoint.as_deref(), &mut sink, &self.stop);
            // A batch handed on and not recorded is the source's failure as much as its own.
            if let Err(error) = sink.settle()
                && result.is_ok()
            {
                result = Err(SourceError::Sink(error));
            }
            if sink.healthy {
                backoff.reset();
                auth_backoff.reset();
            }
            let delay = match result {
                Ok(()) => {
                    self.status(ConnectorStatus::Stopped, None);
                    return;
                }
                Err(SourceError::Disconnected { error, retry_in }) => {
                    let delay = retry_in.unwrap_or_else(|| backoff.next_delay());
                    tracing::warn!(source = %self.key, error = %error, retry_in_ms = delay.as_millis() as u64, "disconnected; reconnecting");
                    self.status(ConnectorStatus::Reconnecting, Some(&error));
                    delay
                }
                Err(SourceError::Auth(error)) => {
                    tracing::error!(source = %self.key, error = %error, "the platform refused the token; a person must renew it");
                    self.status(ConnectorStatus::AuthFailed, Some(&error));
                    auth_backoff.next_delay()
                }
                Err(SourceError::Sink(error)) => {
                    tracing::error!(source = %self.key, error = %error, "could not store what was read; retrying from the checkpoint");
                    self.status(ConnectorStatus::Failing, Some(&error));
                    backoff.next_delay()
                }
                Err(SourceError::Config(error)) => {
                    tracing::error!(source = %self.key, error = %error, "this source cannot work as configured; stopped");
                    self.status(ConnectorStatus::Stopped, Some(&error));
                    return;
                }
            };
            if self.stop.sleep(delay) {
                return;
            }
        }
    }

    fn status(&mut self, status: ConnectorStatus, error: Option<&str>) {
        if let Err(e) = self
            .ws
            .set_connector_status(&self.key, &self.platform, status, error)
        {
            tracing::error!(source = %self.key, error = %e, "cannot record the connector's health");
        }
        self.live.publish(LiveEvent::Connector {
            name: self.account.clone(),
        });
    }
}
