//! Listening as the platforms' own filters — X filtered-stream rules, Mastodon hashtag
//! streams — so that their streams bring what the brand listens to. On X:
//! each query written in X's rule language (the same words, phrases, hashtags, mentions, `OR`,
//! `-`, parentheses, `lang:`, `from:`, `has:`, `is:`; `AND` and `NOT` become a space and `-`;
//! `is:repost` is `is:retweet`; `near:GEOFENCE` the geofence's area), and each geofence as a
//! `point_radius` (a circle) or a `bounding_box` (a polygon's box). X takes areas of at most
//! 25 miles and rules of at most 512 characters: beyond, the rule is refused here, by name.

use crate::Settings;
use crate::geofence::{Geofence, Shape};
use crate::query::{Token, tokens};

/// One rule, tagged `listening:NAME` (X says which rules a post matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XRule {
    pub tag: String,
    pub value: String,
}

/// The longest rule X's Basic and Pro levels take.
pub const MAX_RULE_LEN: usize = 512;
/// The widest area X's `point_radius` and `bounding_box` take: 25 miles.
pub const MAX_AREA_M: f64 = 40_233.6;

/// The hashtags the queries name, as written (without `#`, lowercased, each once): the
/// Mastodon hashtag streams that bring them (Mastodon matches a tag whatever its case, not
/// whatever its accents, so the spelling is kept).
pub fn hashtags(settings: &Settings) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for spec in &settings.queries {
        let err = |column: usize, message: String| crate::query::QueryError {
            query: spec.name.clone(),
            column,
            message,
        };
        let Ok(tokens) = tokens(&spec.query, &err) else {
            continue;
        };
        let mut negated = false;
        for (token, _) in tokens {
            match token {
                Token::Not | Token::Minus => negated = true,
                Token::Word(w) => {
                    // A hashtag a query excludes brings nothing it wants.
                    if let Some(tag) = w.strip_prefix('#').filter(|_| !negated) {
                        let tag = tag.to_lowercase();
                        if !tag.is_empty() && !out.contains(&tag) {
                            out.push(tag);
                        }
                    }
                    negated = false;
                }
                _ => negated = false,
            }
        }
    }
    out
}

/// Every query's and every geofence's rule (a geofence that only observes still counts).
pub fn x_rules(settings: &Settings) -> Result<Vec<XRule>, String> {
    let mut rules = Vec::with_capacity(settings.queries.len() + settings.geofences.len());
    for spec in &settings.queries {
        let value = query_rule(&spec.name, &spec.query, &settings.geofences)?;
        rules.push(checked(format!("listening:{}", spec.name), value)?);
    }
    for fence in &settings.geofences {
        rules.push(checked(format!("listening:{}", fence.name), area(fence)?)?);
    }
    Ok(rules)
}

fn checked(tag: String, value: String) -> Result<XRule, String> {
    let length = value.chars().count();
    if length > MAX_RULE_LEN {
        return Err(format!(
            "{tag}: as an X stream rule it is {length} characters long; X takes at most {MAX_RULE_LEN}"
        ));
    }
    Ok(XRule { tag, value })
}

/// Query `name` in X's rule language.
fn query_rule(name: &str, query: &str, fences: &[Geofence]) -> Result<String, String> {
    let err = |column: usize, message: String| crate::query::QueryError {
        query: name.to_owned(),
        column,
        message,
    };
    let tokens = tokens(query, &err).map_err(|e| e.to_string())?;
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut negate = false;
    for (token, _) in tokens {
        let text = match token {
            Token::And => continue,
            Token::Not | Token::Minus => {
                negate = true;
                continue;
            }
            Token::Open => "(".to_owned(),
            Token::Close => ")".to_owned(),
            Token::Or => "OR".to_owned(),
            Token::Phrase(p) => format!("\"{}\"", p.replace('"', "")),
            Token::Word(w) => word(name, &w, fences)?,
        };
        out.push(if std::mem::take(&mut negate) {
            format!("-{text}")
        } else {
            text
        });
    }
    // `(` and `)` stick to what they hold, as X writes them.
    Ok(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

fn word(name: &str, w: &str, fences: &[Geofence]) -> Result<String, String> {
    let Some((op, value)) = w
        .split_once(':')
        .filter(|(op, _)| !op.is_empty() && op.chars().all(|c| c.is_ascii_alphabetic()))
    else {
        return Ok(w.to_owned());
    };
    Ok(match (op.to_ascii_lowercase().as_str(), value) {
        ("is", "repost") => "is:retweet".to_owned(),
        ("near", fence) => {
            let fence = fences
                .iter()
                .find(|f| f.name == fence)
                .ok_or_else(|| format!("query `{name}`: near:{fence} names no geofence"))?;
            area(fence)?
        }
        _ => w.to_owned(),
    })
}

/// A geofence's area as X writes it.
fn area(fence: &Geofence) -> Result<String, String> {
    let too_wide = |wide_m: f64| {
        format!(
            "geofence `{}`: {:.1} km wide; X's stream takes areas of at most 25 miles ({:.1} km): listen to it through smaller geofences",
            fence.name,
            wide_m / 1000.0,
            MAX_AREA_M / 1000.0
        )
    };
    match &fence.shape {
        Shape::Circle(circle) => {
            let radius = circle.radius_m();
            if radius > MAX_AREA_M {
                return Err(too_wide(radius * 2.0));
            }
            let centre = circle.centre();
            Ok(format!(
                "point_radius:[{:.6} {:.6} {:.3}km]",
                centre.lon,
                centre.lat,
                radius / 1000.0
            ))
        }
        Shape::Polygons(polygons) => {
            let [west, south, east, north] = polygons
                .bounds()
                .ok_or_else(|| format!("geofence `{}` has no area", fence.name))?;
            let metres_per_degree = crate::geofence::EARTH_RADIUS_M.to_radians();
            let height = (north - south) * metres_per_degree;
            let width =
                (east - west) * metres_per_degree * south.abs().max(north.abs()).to_radians().cos();
            if height.max(width) > MAX_AREA_M {
                return Err(too_wide(height.max(width)));
            }
            Ok(format!(
                "bounding_box:[{west:.6} {south:.6} {east:.6} {north:.6}]"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Policy;
    use crate::matcher::QuerySpec;

    fn settings(queries: &[(&str, &str)], fences: Vec<Geofence>) -> Settings {
        Settings {
            queries: queries
                .iter()
                .map(|(name, query)| QuerySpec {
                    name: (*name).into(),
                    query: (*query).into(),
                    policy: Policy::All,
                })
                .collect(),
            geofences: fences,
            ..Settings::default()
        }
    }

    #[test]
    fn queries_and_geofences_become_the_rules_x_reads() {
        let parc = Geofence::circle("parc", 48.8674, 2.7836, 1500.0, Policy::All).unwrap();
        let hotel = Geofence::from_geojson(
            "hotel",
            r#"{"type":"Polygon","coordinates":[[[2.79,48.86],[2.80,48.86],[2.80,48.87],[2.79,48.87],[2.79,48.86]]]}"#,
            Policy::Actionable,
        )
        .unwrap();
        let rules = x_rules(&settings(
            &[
                (
                    "anniv",
                    "(\"joyeux anniversaire\" OR #anniversaire) AND NOT is:repost lang:fr",
                ),
                ("photos", "has:media near:parc -@concurrent"),
            ],
            vec![parc, hotel],
        ))
        .unwrap();
        let values: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| (r.tag.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                (
                    "listening:anniv",
                    "(\"joyeux anniversaire\" OR #anniversaire) -is:retweet lang:fr"
                ),
                (
                    "listening:photos",
                    "has:media point_radius:[2.783600 48.867400 1.500km] -@concurrent"
                ),
                (
                    "listening:parc",
                    "point_radius:[2.783600 48.867400 1.500km]"
                ),
                (
                    "listening:hotel",
                    "bounding_box:[2.790000 48.860000 2.800000 48.870000]"
                ),
            ]
        );
    }

    #[test]
    fn the_queries_hashtags_keep_their_spelling_once_each() {
        let s = settings(
            &[("a", "#Château OR #chateau"), ("b", "velo #Château -#pub")],
            Vec::new(),
        );
        assert_eq!(hashtags(&s), ["château", "chateau"], "not the one excluded");
    }

    #[test]
    fn an_area_or_a_rule_x_would_refuse_is_refused_by_name() {
        let wide = Geofence::circle("region", 48.8, 2.3, 50_000.0, Policy::Observe).unwrap();
        let e = x_rules(&settings(&[], vec![wide])).unwrap_err();
        assert!(e.starts_with("geofence `region`: 100.0 km wide"), "{e}");
        let long = vec!["mot"; 200].join(" OR ");
        let e = x_rules(&settings(&[("long", &long)], Vec::new())).unwrap_err();
        assert!(
            e.contains("listening:long: as an X stream rule it is"),
            "{e}"
        );
    }
}
