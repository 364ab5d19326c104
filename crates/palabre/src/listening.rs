//! `[listening]` in palabre.toml and `replay --listen` / `--geofence`: the brand's listening
//! queries and geofences, read into `palabre_listening::Settings` (docs/listening.md).
//!
//! ```toml
//! [listening]
//! queue = "listening"                 # where surfaced posts wait (default "listening")
//! hashtags = ["#Lumiere"]             # the brand's hashtags: `tagged` surfaces posts using them
//!
//! [[listening.queries]]
//! name = "anniversaires"
//! query = '"joyeux anniversaire" OR #anniversaire -is:repost'
//! policy = "actionable"               # tagged | actionable (default) | all | observe
//!
//! [[listening.geofences]]
//! name = "parc"
//! lat = 48.8674
//! lon = 2.7836
//! radius_m = 1500
//! policy = "all"
//!
//! [[listening.geofences]]
//! name = "hotel"
//! geojson = "places/hotel.geojson"    # a Polygon or MultiPolygon, relative to the config file
//!
//! [listening.drafts]                  # replies suggested to the person who steps in
//! life_event = { fr = "Très bel anniversaire {author} !", en = "Happy birthday {author}!" }
//! ```

use palabre_listening::Policy;
use palabre_listening::geofence::Geofence;
use palabre_listening::matcher::QuerySpec;
use serde::Deserialize;
use std::path::Path;

/// `[listening]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListeningSection {
    pub queue: Option<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    #[serde(default)]
    pub queries: Vec<QueryConfig>,
    #[serde(default)]
    pub geofences: Vec<GeofenceConfig>,
    /// Reason (`life_event`, `ugc_share`, `complaint`, `support_request`) → its draft.
    #[serde(default)]
    pub drafts: std::collections::BTreeMap<String, DraftConfig>,
}

/// A suggested draft in both languages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftConfig {
    pub fr: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    pub name: String,
    pub query: String,
    pub policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeofenceConfig {
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    /// A GeoJSON file (Polygon, MultiPolygon, or a Feature of one), relative to the config.
    pub geojson: Option<String>,
    pub policy: Option<String>,
}

/// The default intrusion policy: only what a person should act on.
pub const DEFAULT_POLICY: Policy = Policy::Actionable;

fn policy(raw: Option<&str>, what: &str) -> Result<Policy, String> {
    match raw {
        None => Ok(DEFAULT_POLICY),
        Some(raw) => Policy::parse(raw)
            .ok_or_else(|| format!("{what}: policy `{raw}` is not one of {}", Policy::NAMES)),
    }
}

impl ListeningSection {
    /// The settings listening starts with: these queries and geofences, then those of the
    /// command line; `handles` are the brand's channels'. An error names what is wrong.
    pub fn settings(
        &self,
        config_dir: &Path,
        handles: Vec<String>,
        extra_queries: &[QuerySpec],
        extra_geofences: &[Geofence],
    ) -> Result<palabre_listening::Settings, String> {
        let mut queries = Vec::with_capacity(self.queries.len() + extra_queries.len());
        for q in &self.queries {
            queries.push(QuerySpec {
                name: q.name.clone(),
                query: q.query.clone(),
                policy: policy(
                    q.policy.as_deref(),
                    &format!("[[listening.queries]] `{}`", q.name),
                )?,
            });
        }
        queries.extend(extra_queries.iter().cloned());
        let mut geofences = Vec::with_capacity(self.geofences.len() + extra_geofences.len());
        for g in &self.geofences {
            let what = format!("[[listening.geofences]] `{}`", g.name);
            let policy = policy(g.policy.as_deref(), &what)?;
            let fence = match (g.lat, g.lon, g.radius_m, &g.geojson) {
                (Some(lat), Some(lon), Some(radius), None) => {
                    Geofence::circle(&g.name, lat, lon, radius, policy)
                }
                (None, None, None, Some(file)) => {
                    let path = config_dir.join(file);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?;
                    Geofence::from_geojson(&g.name, &text, policy)
                }
                _ => {
                    return Err(format!(
                        "{what}: give either lat, lon and radius_m (a circle) or geojson (a file)"
                    ));
                }
            }
            .map_err(|e| e.to_string())?;
            geofences.push(fence);
        }
        geofences.extend(extra_geofences.iter().cloned());
        let mut drafts = Vec::with_capacity(self.drafts.len());
        for (name, draft) in &self.drafts {
            let known: Vec<&str> = palabre_listening::DRAFT_REASONS
                .iter()
                .map(|r| r.as_str())
                .collect();
            let reason = palabre_core::Reason::parse(name)
                .filter(|r| palabre_listening::DRAFT_REASONS.contains(r))
                .ok_or_else(|| {
                    format!(
                        "[listening.drafts] `{name}`: a draft is written for {}",
                        known.join(", ")
                    )
                })?;
            if draft.fr.trim().is_empty() || draft.en.trim().is_empty() {
                return Err(format!(
                    "[listening.drafts] `{name}`: write the draft in French (fr) and English (en)"
                ));
            }
            drafts.push(palabre_listening::SuggestedDraft {
                reason,
                fr: draft.fr.clone(),
                en: draft.en.clone(),
            });
        }
        Ok(palabre_listening::Settings {
            queries,
            geofences,
            hashtags: self.hashtags.clone(),
            handles,
            queue: self.queue.clone().unwrap_or_else(|| "listening".to_owned()),
            drafts,
        })
    }
}

/// What the platforms' streams must bring for these queries and geofences.
#[derive(Debug, Default)]
pub struct StreamFilters {
    /// Filtered-stream rules, tagged `listening:NAME`, for every X account that streams.
    pub x_rules: Vec<palabre_connectors::x::client::Rule>,
    /// `hashtag:TAG` streams for every Mastodon account.
    pub mastodon_streams: Vec<String>,
}

pub fn stream_filters(
    section: &ListeningSection,
    config_dir: &Path,
) -> Result<StreamFilters, String> {
    let settings = section.settings(config_dir, Vec::new(), &[], &[])?;
    Ok(StreamFilters {
        x_rules: palabre_listening::streams::x_rules(&settings)?
            .into_iter()
            .map(|r| palabre_connectors::x::client::Rule {
                value: r.value,
                tag: Some(r.tag),
            })
            .collect(),
        mastodon_streams: palabre_listening::streams::hashtags(&settings)
            .into_iter()
            .map(|tag| format!("hashtag:{tag}"))
            .collect(),
    })
}

/// Adds the streams' filters to the accounts that read them (logged per account).
pub fn add_stream_filters(
    accounts: &mut [crate::live::accounts::AccountConfig],
    filters: &StreamFilters,
) {
    use crate::live::accounts::AccountConfig;
    for account in accounts {
        match account {
            AccountConfig::X(c) if c.stream && !filters.x_rules.is_empty() => {
                for rule in &filters.x_rules {
                    if !c.rules.contains(rule) {
                        c.rules.push(rule.clone());
                    }
                }
                tracing::info!(account = %c.name, rules = filters.x_rules.len(), "listening: X stream rules added");
            }
            AccountConfig::Mastodon(c) if !filters.mastodon_streams.is_empty() => {
                for stream in &filters.mastodon_streams {
                    if !c.streams.contains(stream) {
                        c.streams.push(stream.clone());
                    }
                }
                tracing::info!(account = %c.name, streams = ?filters.mastodon_streams, "listening: Mastodon hashtag streams added");
            }
            _ => {}
        }
    }
}

/// The geofences as the conversation page draws them.
pub fn fence_views(
    section: &ListeningSection,
    config_dir: &Path,
) -> Result<Vec<palabre_web::listening::FenceView>, String> {
    use palabre_listening::geofence::Shape;
    let settings = section.settings(config_dir, Vec::new(), &[], &[])?;
    Ok(settings
        .geofences
        .iter()
        .map(|g| {
            let centre = g.shape.centre();
            let (radius_m, bbox) = match &g.shape {
                Shape::Circle(c) => (Some(c.radius_m()), None),
                Shape::Polygons(p) => (None, p.bounds()),
            };
            palabre_web::listening::FenceView {
                name: g.name.clone(),
                lat: centre.lat,
                lon: centre.lon,
                radius_m,
                bbox,
            }
        })
        .collect())
}

/// `--listen NAME=QUERY` (or `NAME:POLICY=QUERY`).
pub fn parse_listen_flag(raw: &str) -> Result<QuerySpec, String> {
    let Some((head, query)) = raw.split_once('=') else {
        return Err(format!(
            "`{raw}`: expected NAME=QUERY, such as birthdays='\"joyeux anniversaire\" OR #anniversaire'"
        ));
    };
    let (name, policy_name) = match head.split_once(':') {
        Some((name, p)) => (name, Some(p)),
        None => (head, None),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{raw}`: the query has no name before `=`"));
    }
    Ok(QuerySpec {
        name: name.to_owned(),
        query: query.to_owned(),
        policy: policy(policy_name, &format!("--listen {name}"))?,
    })
}

/// `--geofence NAME:LAT,LON:RADIUS_M[:POLICY]`.
pub fn parse_geofence_flag(raw: &str) -> Result<Geofence, String> {
    Geofence::parse_flag(raw).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_listen_flag_names_its_query_and_may_name_its_policy() {
        let q = parse_listen_flag("anniv=\"joyeux anniversaire\" OR #anniv").unwrap();
        assert_eq!(
            (q.name.as_str(), q.query.as_str(), q.policy),
            (
                "anniv",
                "\"joyeux anniversaire\" OR #anniv",
                Policy::Actionable
            )
        );
        assert_eq!(
            parse_listen_flag("photos:all=has:media").unwrap().policy,
            Policy::All
        );
        assert!(
            parse_listen_flag("no query")
                .unwrap_err()
                .contains("expected NAME=QUERY")
        );
        assert!(
            parse_listen_flag("x:loud=a")
                .unwrap_err()
                .contains("policy `loud` is not one of tagged, actionable, all or observe")
        );
    }

    #[test]
    fn a_geofence_is_a_circle_or_a_file_never_both() {
        let section: ListeningSection = toml::from_str(
            "[[geofences]]\nname = \"parc\"\nlat = 48.8674\nlon = 2.7836\nradius_m = 1500\ngeojson = \"x.json\"\n",
        )
        .unwrap();
        let e = section
            .settings(Path::new("."), Vec::new(), &[], &[])
            .unwrap_err();
        assert!(e.contains("give either lat, lon and radius_m"), "{e}");
        let section: ListeningSection =
            toml::from_str("[[queries]]\nname = \"a\"\nquery = \"velo\"\npolicy = \"sometimes\"\n")
                .unwrap();
        let e = section
            .settings(Path::new("."), Vec::new(), &[], &[])
            .unwrap_err();
        assert!(
            e.contains("[[listening.queries]] `a`: policy `sometimes`"),
            "{e}"
        );
    }
}
