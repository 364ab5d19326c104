//! `/metrics`: what an operator scrapes (Prometheus text format): the outbox's queue, how old
//! its oldest waiting action is, the failed sends waiting for a person, and the engine's own
//! figures (how far behind the platforms it decides).

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use palabre_store::workspace::{OutboxStatus, Role, Waiting};
use std::fmt::Write;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/metrics", get(metrics))
}

/// The Prometheus text exposition of the outbox's state. Managers (an API token, as a
/// scraper's `bearer_token`).
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "Prometheus text format: `palabre_outbox_waiting`, `palabre_outbox_oldest_waiting_seconds`, `palabre_outbox_next_due_seconds` (by platform and origin), `palabre_outbox_dead`, `palabre_decision_lag_seconds` (a summary) and `palabre_decision_lag_seconds_max`", content_type = "text/plain"),
              (status = 403, description = "Not a manager", body = crate::api::ErrorBody)))]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Role::Manager)?;
    let (waiting, dead) = state
        .pool
        .run(|ws| Ok((ws.outbox_waiting()?, ws.outbox_count(OutboxStatus::Dead)?)))
        .await?;
    let now = jiff::Timestamp::now().as_millisecond();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exposition(&waiting, dead, now) + &state.engine.metrics(),
    ))
}

/// The text format for these figures at `now` (Unix ms).
fn exposition(waiting: &[Waiting], dead: i64, now: i64) -> String {
    let mut out = String::new();
    let gauge = |out: &mut String, name: &str, help: &str, value: &dyn Fn(&Waiting) -> String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for w in waiting {
            let _ = writeln!(
                out,
                "{name}{{platform=\"{}\",origin=\"{}\"}} {}",
                label(&w.platform),
                label(&w.origin),
                value(w)
            );
        }
    };
    gauge(
        &mut out,
        "palabre_outbox_waiting",
        "Actions waiting to be sent (pending or being sent).",
        &|w| w.count.to_string(),
    );
    gauge(
        &mut out,
        "palabre_outbox_oldest_waiting_seconds",
        "How long the oldest waiting action has waited since it was queued.",
        &|w| seconds(now - w.oldest_ms),
    );
    gauge(
        &mut out,
        "palabre_outbox_next_due_seconds",
        "When the next waiting action is due (a rate limit's reset, a retry); 0 when due now.",
        &|w| seconds(w.next_due_ms - now),
    );
    let _ = writeln!(
        out,
        "# HELP palabre_outbox_dead Actions that failed for good and wait for a person.\n# TYPE palabre_outbox_dead gauge\npalabre_outbox_dead {dead}"
    );
    out
}

fn seconds(ms: i64) -> String {
    format!("{:.3}", ms.max(0) as f64 / 1000.0)
}

/// A label value as the text format wants it escaped.
fn label(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_in_the_text_format() {
        let waiting = vec![
            Waiting {
                platform: "x".into(),
                origin: "bot".into(),
                count: 1200,
                oldest_ms: 1_000,
                next_due_ms: 61_000,
            },
            Waiting {
                platform: "ma\"st".into(),
                origin: "human".into(),
                count: 1,
                oldest_ms: 20_500,
                next_due_ms: 0,
            },
        ];
        let text = exposition(&waiting, 3, 21_000);
        assert!(text.contains("# TYPE palabre_outbox_waiting gauge\n"));
        assert!(text.contains("palabre_outbox_waiting{platform=\"x\",origin=\"bot\"} 1200\n"));
        assert!(text.contains(
            "palabre_outbox_oldest_waiting_seconds{platform=\"x\",origin=\"bot\"} 20.000\n"
        ));
        assert!(
            text.contains(
                "palabre_outbox_next_due_seconds{platform=\"x\",origin=\"bot\"} 40.000\n"
            )
        );
        assert!(text.contains("platform=\"ma\\\"st\",origin=\"human\"} 0.500\n"));
        assert!(text.contains(
            "palabre_outbox_next_due_seconds{platform=\"ma\\\"st\",origin=\"human\"} 0.000\n"
        ));
        assert!(text.ends_with("palabre_outbox_dead 3\n"));
    }
}
