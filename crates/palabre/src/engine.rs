//! The replay engine: input lines in, one decision line out per event, optionally recorded.
//!
//! Without a store, decision lines are written as they come. With a store, the pipeline runs
//! on the calling thread and a writer thread commits each batch in one transaction **before**
//! printing that batch's lines: a line printed is a decision kept, so after a crash nothing
//! that was acknowledged is lost, and running the same input again changes nothing.

use palabre_connectors::Format;
use palabre_core::{Alert, ConversationId, Decision, EventId, Outcome, Reason, Timestamp, Triage};
use palabre_pipeline::{LineStep, Pipeline, Processed, Record};
use palabre_store::{Entry, Store, WriteSummary};
use serde::Serialize;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Events per batch handed to the writer.
pub const BATCH: usize = 2048;

/// How much of a line over the length limit is kept among the rejects.
const KEPT_OF_LONG_LINE: usize = 1024;

/// Batches that may wait for the writer; a transaction takes all that are waiting.
const QUEUED_BATCHES: usize = 8;

/// One output line, as the replay contract of DESIGN.md shows it.
#[derive(Serialize)]
struct DecisionLine<'a> {
    line: u64,
    event_id: Option<&'a EventId>,
    conversation_id: Option<&'a ConversationId>,
    outcome: Outcome,
    reasons: &'a [Reason],
    reply: Option<&'a str>,
    queue: Option<&'a str>,
    triage: Option<&'a Triage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<&'a str>,
    /// The request's key in that campaign (`code=69003`, `faq=bagage-cabine`, `help`).
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign_key: Option<&'a str>,
    /// The choices a question offers, numbered in its text and sent as quick replies where
    /// the platform has them.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    choices: &'a [String],
    /// Alerts this event raised (`crisis_suspected`).
    #[serde(skip_serializing_if = "<[Alert]>::is_empty")]
    alerts: &'a [Alert],
    /// What the brand's listening heard: its queries, the nearest geofence and how far.
    #[serde(skip_serializing_if = "Option::is_none")]
    listening: Option<&'a palabre_core::Heard>,
}

/// A scheduled post due during the replayed period, as `replay --schedule` prints it among
/// the decisions (issue 13's extension of the replay contract).
#[derive(Serialize)]
struct ScheduledPostLine<'a> {
    scheduled_post: &'a str,
    due_at: Timestamp,
    /// `published` or `held`.
    outcome: &'static str,
    reasons: &'a [Reason],
}

/// Counts of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub lines: u64,
    pub blank_lines: u64,
    pub events: u64,
    pub by_outcome: Vec<(Outcome, u64)>,
    pub by_reason: Vec<(Reason, u64)>,
    /// A few event ids for each reason, to look at.
    pub examples: Vec<(Reason, Vec<String>)>,
    /// The first automated replies and drafts, as they would go out.
    pub replies: Vec<ReplyExample>,
    pub stored: Option<StoredTotals>,
    /// Scheduled posts due during the run (`--schedule`): published, held.
    pub scheduled_posts: (u64, u64),
}

/// An automated reply or draft, for the rehearsal report.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyExample {
    pub line: u64,
    pub event_id: Option<String>,
    pub outcome: Outcome,
    pub campaign: Option<String>,
    pub campaign_key: Option<String>,
    pub reply: String,
}

/// Examples kept per reason, and replies kept, in a run's report.
const EXAMPLES_PER_REASON: usize = 3;
const REPLIES_KEPT: usize = 20;

/// What the store received.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StoredTotals {
    pub inserted: u64,
    pub already_stored: u64,
    pub rejected: u64,
}

/// A batch handed to the writer. Its buffers come back once written, entries included, to be
/// dropped and filled again on the pipeline thread: a long run does not allocate (and the kernel
/// zero) fresh megabytes for every batch, and every message is freed by the thread that
/// allocated it (freed by the writer, the allocator returned its pages to the kernel and faulted
/// fresh ones in for the pipeline: a tenth of a recorded run's time).
#[derive(Default)]
struct Job {
    entries: Vec<Entry>,
    output: Vec<u8>,
}

impl Job {
    fn with_capacity() -> Self {
        Job {
            entries: Vec::with_capacity(BATCH),
            output: Vec::with_capacity(BATCH * 256),
        }
    }
}

enum Sink {
    Direct(Box<dyn Write + Send>),
    Recorded {
        entries: Vec<Entry>,
        output: Vec<u8>,
        jobs: Option<SyncSender<Job>>,
        /// Emptied buffers coming back from the writer.
        spare: Receiver<Job>,
        writer: Option<Writer>,
    },
}

/// The writer thread: when the input ends, it hands the store back with what it wrote.
type Writer = JoinHandle<anyhow::Result<(StoredTotals, Box<dyn Store>)>>;

/// Feeds lines through the pipeline and writes decisions.
pub struct Engine {
    pipeline: Pipeline,
    format: Format,
    lines: u64,
    blank_lines: u64,
    out: Output,
    /// Scheduled posts not yet due, latest first (`--schedule`): (due, id, channel).
    schedule: Vec<(Timestamp, String, String)>,
}

/// Where decisions go, and their counts.
struct Output {
    source: String,
    sink: Sink,
    outcomes: [u64; Outcome::ALL.len()],
    reasons: Vec<u64>,
    examples: Vec<Vec<String>>,
    replies: Vec<ReplyExample>,
    events: u64,
    /// Scheduled posts printed: published, held.
    posts: (u64, u64),
}

impl Engine {
    /// Writes decision lines to `out` as they come; nothing is recorded.
    pub fn direct(
        pipeline: Pipeline,
        format: Format,
        source: String,
        out: Box<dyn Write + Send>,
    ) -> Self {
        Self::with_sink(pipeline, format, source, Sink::Direct(out))
    }

    /// Records into `store`, then writes each batch's lines to `out`.
    pub fn recorded(
        pipeline: Pipeline,
        format: Format,
        source: String,
        mut store: Box<dyn Store>,
        mut out: Box<dyn Write + Send>,
    ) -> Self {
        let (jobs, inbox): (SyncSender<Job>, Receiver<Job>) = sync_channel(QUEUED_BATCHES);
        let (give_back, spare) = sync_channel::<Job>(QUEUED_BATCHES + 1);
        let writer =
            std::thread::spawn(move || -> anyhow::Result<(StoredTotals, Box<dyn Store>)> {
                let mut totals = StoredTotals::default();
                let mut group = Job::default();
                while let Ok(first) = inbox.recv() {
                    // Group commit: everything already queued goes into the same transaction, so a
                    // busy stream pays one fsync for many batches and a quiet one waits for none.
                    let mut next = Some(first);
                    let mut written = Vec::new();
                    while let Some(mut job) = next {
                        group.entries.append(&mut job.entries);
                        group.output.append(&mut job.output);
                        written.push(job);
                        next = inbox.try_recv().ok();
                    }
                    let WriteSummary {
                        inserted,
                        already_stored,
                        rejected,
                    } = store.write(&group.entries)?;
                    totals.inserted += inserted;
                    totals.already_stored += already_stored;
                    totals.rejected += rejected;
                    out.write_all(&group.output)?;
                    out.flush()?;
                    group.output.clear();
                    // The written entries go back with the first job, to be dropped where they
                    // were allocated.
                    if let Some(job) = written.first_mut() {
                        std::mem::swap(&mut job.entries, &mut group.entries);
                    }
                    for job in written {
                        let _ = give_back.try_send(job);
                    }
                }
                Ok((totals, store))
            });
        let sink = Sink::Recorded {
            entries: Vec::with_capacity(BATCH),
            output: Vec::with_capacity(BATCH * 256),
            jobs: Some(jobs),
            spare,
            writer: Some(writer),
        };
        Self::with_sink(pipeline, format, source, sink)
    }

    fn with_sink(pipeline: Pipeline, format: Format, source: String, sink: Sink) -> Self {
        let out = Output {
            source,
            sink,
            outcomes: [0; Outcome::ALL.len()],
            reasons: vec![0; Reason::ALL.len()],
            examples: vec![Vec::new(); Reason::ALL.len()],
            replies: Vec::new(),
            events: 0,
            posts: (0, 0),
        };
        Engine {
            pipeline,
            format,
            lines: 0,
            blank_lines: 0,
            out,
            schedule: Vec::new(),
        }
    }

    /// Rehearses these scheduled posts (id, channel, due) with the stream: each one due by an
    /// event's time is printed before that event's decision, published or held as the pipeline
    /// stands then (`Pipeline::scheduled_hold`). Posts due after the last event are not printed.
    pub fn with_schedule(
        mut self,
        posts: impl IntoIterator<Item = (String, String, Timestamp)>,
    ) -> Self {
        self.schedule = posts
            .into_iter()
            .map(|(id, channel, due)| (due, id, channel))
            .collect();
        self.schedule.sort_by(|a, b| b.cmp(a));
        self
    }

    /// Processes one input line (without its line break). `line_no` counts from 1.
    pub fn feed(&mut self, line_no: u64, bytes: &[u8]) -> anyhow::Result<()> {
        self.lines += 1;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            self.blank_lines += 1;
            return Ok(());
        }
        match std::str::from_utf8(bytes) {
            Ok(line) => {
                let mut failure = None;
                let out = &mut self.out;
                let schedule = &mut self.schedule;
                self.pipeline
                    .process_line_steps(line, self.format, |step| match step {
                        LineStep::Before { at, pipeline } => {
                            while let Some((due, _, _)) = schedule.last()
                                && *due <= at
                                && failure.is_none()
                            {
                                if let Some((due, id, channel)) = schedule.pop() {
                                    let hold = pipeline.scheduled_hold(due.as_second(), &channel);
                                    failure = out.emit_post(&id, due, hold).err();
                                }
                            }
                        }
                        LineStep::Decided(p) => {
                            if failure.is_none() {
                                failure = out.emit(line_no, p).err();
                            }
                        }
                    });
                failure.map_or(Ok(()), Err)
            }
            Err(e) => {
                let error = format!(
                    "the line is not valid UTF-8 (bad byte at offset {})",
                    e.valid_up_to()
                );
                let decision = Decision::invalid(Reason::InvalidUtf8, error);
                let raw = String::from_utf8_lossy(bytes).into_owned();
                self.out.emit(
                    line_no,
                    Processed {
                        event_id: None,
                        decision,
                        record: Record::Rejected { raw },
                    },
                )
            }
        }
    }

    /// A line longer than the reader keeps: an `invalid` decision (`line_too_long`) saying how
    /// long it was, and its first KiB among the rejects (not the whole line).
    pub fn feed_too_long(
        &mut self,
        line_no: u64,
        start: &[u8],
        total_bytes: usize,
        limit: usize,
    ) -> anyhow::Result<()> {
        self.lines += 1;
        let error = format!(
            "the line is {total_bytes} bytes long, more than the {limit} bytes read (--max-line-bytes)"
        );
        let kept = &start[..start.len().min(KEPT_OF_LONG_LINE)];
        let raw = format!(
            "{}… [{total_bytes} bytes, cut]",
            String::from_utf8_lossy(kept)
        );
        self.out.emit(
            line_no,
            Processed {
                event_id: None,
                decision: Decision::invalid(Reason::LineTooLong, error),
                record: Record::Rejected { raw },
            },
        )
    }

    /// Flushes what is pending, waits for the writer, and returns the counts and, when
    /// recording, the store (for what the caller still has to write, such as the audit log).
    pub fn finish(self) -> anyhow::Result<(Stats, Option<Box<dyn Store>>)> {
        let Engine {
            lines,
            blank_lines,
            mut out,
            ..
        } = self;
        let (stored, store) = match out.close()? {
            Some((totals, store)) => (Some(totals), Some(store)),
            None => (None, None),
        };
        let stats = Stats {
            lines,
            blank_lines,
            events: out.events,
            by_outcome: Outcome::ALL
                .iter()
                .copied()
                .zip(out.outcomes)
                .filter(|(_, n)| *n > 0)
                .collect(),
            by_reason: Reason::ALL
                .iter()
                .map(|r| (*r, out.reasons[*r as usize]))
                .filter(|(_, n)| *n > 0)
                .collect(),
            examples: Reason::ALL
                .iter()
                .zip(out.examples)
                .filter(|(_, e)| !e.is_empty())
                .map(|(r, e)| (*r, e))
                .collect(),
            replies: out.replies,
            stored,
            scheduled_posts: out.posts,
        };
        Ok((stats, store))
    }
}

impl Output {
    /// A scheduled post fell due: published, or held with its reason.
    fn emit_post(&mut self, id: &str, due: Timestamp, hold: Option<Reason>) -> anyhow::Result<()> {
        let reasons: Vec<Reason> = hold.into_iter().collect();
        let line = ScheduledPostLine {
            scheduled_post: id,
            due_at: due,
            outcome: if hold.is_some() { "held" } else { "published" },
            reasons: &reasons,
        };
        if hold.is_some() {
            self.posts.1 += 1;
        } else {
            self.posts.0 += 1;
        }
        let out: &mut dyn Write = match &mut self.sink {
            Sink::Direct(out) => out,
            Sink::Recorded { output, .. } => output,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    fn emit(&mut self, line_no: u64, p: Processed) -> anyhow::Result<()> {
        self.events += 1;
        let d = &p.decision;
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == d.outcome) {
            self.outcomes[i] += 1;
        }
        for r in &d.reasons {
            self.reasons[*r as usize] += 1;
            let examples = &mut self.examples[*r as usize];
            if examples.len() < EXAMPLES_PER_REASON {
                examples.push(
                    p.event_id
                        .as_ref()
                        .map_or_else(|| format!("line {line_no}"), |id| id.to_string()),
                );
            }
        }
        if let (Some(reply), true) = (&d.reply, self.replies.len() < REPLIES_KEPT) {
            self.replies.push(ReplyExample {
                line: line_no,
                event_id: p.event_id.as_ref().map(ToString::to_string),
                outcome: d.outcome,
                // A survey names itself where a campaign would.
                campaign: d.campaign.clone().or_else(|| {
                    d.reasons
                        .contains(&palabre_core::Reason::Survey)
                        .then(|| palabre_core::Reason::Survey.as_str().to_owned())
                }),
                campaign_key: d.campaign_key.clone(),
                reply: reply.clone(),
            });
        }
        let line = DecisionLine::of(line_no, &p);
        match &mut self.sink {
            Sink::Direct(out) => {
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            Sink::Recorded {
                entries, output, ..
            } => {
                serde_json::to_writer(&mut *output, &line)?;
                output.push(b'\n');
                if let Some(entry) = to_entry(p, &self.source, line_no) {
                    entries.push(entry);
                }
                if entries.len() >= BATCH {
                    self.flush_batch()?;
                }
            }
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> anyhow::Result<()> {
        let Sink::Recorded {
            entries,
            output,
            jobs,
            spare,
            writer,
        } = &mut self.sink
        else {
            return Ok(());
        };
        if entries.is_empty() && output.is_empty() {
            return Ok(());
        }
        let mut recycled = spare.try_recv().unwrap_or_else(|_| Job::with_capacity());
        recycled.entries.clear();
        let job = Job {
            entries: std::mem::replace(entries, recycled.entries),
            output: std::mem::replace(output, recycled.output),
        };
        let sent = jobs.as_ref().map(|j| j.send(job));
        if !matches!(sent, Some(Ok(()))) {
            // The writer stopped: its error says why.
            jobs.take();
            return match writer.take().map(JoinHandle::join) {
                Some(Ok(Err(e))) => Err(e.context("recording failed")),
                _ => Err(anyhow::anyhow!("the store writer stopped unexpectedly")),
            };
        }
        Ok(())
    }

    /// Flushes what is pending and waits for the writer; what the store received, and the
    /// store, if recording.
    fn close(&mut self) -> anyhow::Result<Option<(StoredTotals, Box<dyn Store>)>> {
        if let Sink::Direct(out) = &mut self.sink {
            out.flush()?;
            return Ok(None);
        }
        self.flush_batch()?;
        let Sink::Recorded { jobs, writer, .. } = &mut self.sink else {
            return Ok(None);
        };
        jobs.take();
        match writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => Ok(Some(result?)),
            Some(Err(_)) => Err(anyhow::anyhow!("the store writer panicked")),
            None => Err(anyhow::anyhow!("the store writer already stopped")),
        }
    }
}

/// A decision as the replay contract prints it, as a JSON value (for the server's API).
pub fn decision_value(line_no: u64, p: &Processed) -> serde_json::Value {
    serde_json::to_value(DecisionLine::of(line_no, p)).unwrap_or(serde_json::Value::Null)
}

impl<'a> DecisionLine<'a> {
    /// The line of input line `line_no`'s event `p`.
    fn of(line_no: u64, p: &'a Processed) -> Self {
        let d = &p.decision;
        DecisionLine {
            line: line_no,
            event_id: p.event_id.as_ref(),
            conversation_id: d.conversation.as_ref(),
            outcome: d.outcome,
            reasons: &d.reasons,
            reply: d.reply.as_deref(),
            queue: d.queue.as_deref(),
            triage: d.triage.as_ref(),
            error: d.error.as_deref(),
            campaign: d.campaign.as_deref(),
            campaign_key: d.campaign_key.as_deref(),
            choices: &d.choices,
            alerts: &d.alerts,
            listening: d.listening.as_ref(),
        }
    }
}

/// What the store keeps of a processed event.
pub fn to_entry(p: Processed, source: &str, line: u64) -> Option<Entry> {
    match p.record {
        Record::Fresh { message, keys } => {
            let decided_at = message.created_at;
            Some(Entry::message(message, keys, p.decision, decided_at))
        }
        Record::Conflict { message } => {
            let decided_at = message.created_at;
            Some(Entry::Conflict {
                message,
                source: source.to_owned(),
                line: Some(line),
                decided_at,
            })
        }
        Record::Rejected { raw } => Some(Entry::Rejected {
            source: source.to_owned(),
            line: Some(line),
            reason: p
                .decision
                .reasons
                .first()
                .copied()
                .unwrap_or(Reason::ParseError),
            error: p.decision.error.unwrap_or_default(),
            raw,
            at: Timestamp::now(),
        }),
        Record::Nothing => None,
    }
}
