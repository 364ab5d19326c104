//! Platform rules a reply must respect before it goes to the outbox: length, and the private
//! messaging windows of Messenger and Instagram (24 hours after the person's last message; 7
//! days for a human agent, with Meta's HUMAN_AGENT tag).

use palabre_core::Platform;

/// Why a reply cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyProblem {
    Empty,
    TooLong { length: usize, max: usize },
    WindowClosed { platform: Platform, hours: i64 },
}

impl std::fmt::Display for ReplyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyProblem::Empty => f.write_str("the reply is empty"),
            ReplyProblem::TooLong { length, max } => {
                write!(
                    f,
                    "the reply is too long for this platform: {length} characters, at most {max}"
                )
            }
            ReplyProblem::WindowClosed { platform, hours } => write!(
                f,
                "the {platform} messaging window is closed: the person wrote last more than {hours} hours ago, and {platform} refuses messages after that; reach them another way"
            ),
        }
    }
}

/// Hours after the person's last message during which a private message may be sent.
pub fn messaging_window_hours(platform: Platform, human: bool) -> Option<i64> {
    match platform {
        Platform::Messenger | Platform::Instagram => Some(if human { 7 * 24 } else { 24 }),
        _ => None,
    }
}

/// Checks a reply against the platform's limits. `last_inbound_ms` is the person's last
/// message in the conversation; `direct` says whether the conversation is private.
pub fn check_reply(
    platform: Platform,
    text: &str,
    direct: bool,
    last_inbound_ms: Option<i64>,
    now_ms: i64,
    human: bool,
) -> Result<(), ReplyProblem> {
    if text.trim().is_empty() {
        return Err(ReplyProblem::Empty);
    }
    let limit = palabre_campaigns::limit::Limit::for_platform(platform);
    if !limit.fits(text) {
        return Err(ReplyProblem::TooLong {
            length: limit.measure(text),
            max: limit.max,
        });
    }
    let private = direct || matches!(platform, Platform::Messenger | Platform::Instagram);
    if let (true, Some(hours), Some(last)) = (
        private,
        messaging_window_hours(platform, human),
        last_inbound_ms,
    ) && now_ms - last > hours * 3_600_000
    {
        return Err(ReplyProblem::WindowClosed { platform, hours });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_checked() {
        let now = 10 * 24 * 3_600_000;
        assert_eq!(
            check_reply(Platform::X, "  ", false, None, now, true),
            Err(ReplyProblem::Empty)
        );
        assert!(matches!(
            check_reply(Platform::X, &"a".repeat(10_000), false, None, now, true),
            Err(ReplyProblem::TooLong { max: 280, .. })
        ));
        assert!(check_reply(Platform::X, "Bonjour !", false, Some(0), now, true).is_ok());
        let eight_days_ago = now - 8 * 24 * 3_600_000;
        assert!(matches!(
            check_reply(
                Platform::Messenger,
                "Bonjour",
                true,
                Some(eight_days_ago),
                now,
                true
            ),
            Err(ReplyProblem::WindowClosed { hours: 168, .. })
        ));
        let two_days_ago = now - 2 * 24 * 3_600_000;
        assert!(
            check_reply(
                Platform::Messenger,
                "Bonjour",
                true,
                Some(two_days_ago),
                now,
                true
            )
            .is_ok()
        );
        assert!(
            check_reply(
                Platform::Messenger,
                "Bonjour",
                true,
                Some(two_days_ago),
                now,
                false
            )
            .is_err()
        );
    }
}
