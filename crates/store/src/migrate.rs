//! The migrations of each backend, in order; each one is applied once, in its own transaction.

/// `(version, SQL)` for SQLite.
pub(crate) const SQLITE: &[(u32, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_workspace.sql")),
    (3, include_str!("../migrations/sqlite/0003_connectors.sql")),
    (4, include_str!("../migrations/sqlite/0004_moderation.sql")),
    (
        5,
        include_str!("../migrations/sqlite/0005_authors_in_messages.sql"),
    ),
    (6, include_str!("../migrations/sqlite/0006_channels.sql")),
    (7, include_str!("../migrations/sqlite/0007_search.sql")),
    (8, include_str!("../migrations/sqlite/0008_assignment.sql")),
    (
        9,
        include_str!("../migrations/sqlite/0009_outbox_claims.sql"),
    ),
    (
        10,
        include_str!("../migrations/sqlite/0010_search_in_its_own_file.sql"),
    ),
    (
        11,
        include_str!("../migrations/sqlite/0011_assignment_waiting.sql"),
    ),
    (
        12,
        include_str!("../migrations/sqlite/0012_outbox_choices.sql"),
    ),
    (13, include_str!("../migrations/sqlite/0013_brake.sql")),
    (14, include_str!("../migrations/sqlite/0014_posts.sql")),
    (
        15,
        include_str!("../migrations/sqlite/0015_interactions_hourly.sql"),
    ),
    (
        16,
        include_str!("../migrations/sqlite/0016_brake_channels.sql"),
    ),
    (17, include_str!("../migrations/sqlite/0017_post_media.sql")),
    (
        18,
        include_str!("../migrations/sqlite/0018_message_listening.sql"),
    ),
];

/// `(version, SQL)` for PostgreSQL.
pub(crate) const POSTGRES: &[(u32, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_workspace.sql")),
    (
        3,
        include_str!("../migrations/postgres/0003_connectors.sql"),
    ),
    (
        4,
        include_str!("../migrations/postgres/0004_moderation.sql"),
    ),
    (
        5,
        include_str!("../migrations/postgres/0005_authors_in_messages.sql"),
    ),
    (6, include_str!("../migrations/postgres/0006_channels.sql")),
    (7, include_str!("../migrations/postgres/0007_search.sql")),
    (
        8,
        include_str!("../migrations/postgres/0008_assignment.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_outbox_claims.sql"),
    ),
    (
        10,
        include_str!("../migrations/postgres/0010_assignment_waiting.sql"),
    ),
    (
        11,
        include_str!("../migrations/postgres/0011_outbox_choices.sql"),
    ),
    (12, include_str!("../migrations/postgres/0012_brake.sql")),
    (13, include_str!("../migrations/postgres/0013_posts.sql")),
    (
        14,
        include_str!("../migrations/postgres/0014_interactions_hourly.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_brake_channels.sql"),
    ),
    (
        16,
        include_str!("../migrations/postgres/0016_post_media.sql"),
    ),
    (
        17,
        include_str!("../migrations/postgres/0017_message_listening.sql"),
    ),
];

/// The newest schema version this build knows.
pub(crate) fn latest(migrations: &[(u32, &str)]) -> u32 {
    migrations.last().map(|(v, _)| *v).unwrap_or(0)
}
