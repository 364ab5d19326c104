//! The listening side of the conversation page: a small map of where a heard post was
//! written, inside the geofence that heard it (drawn as SVG by the page, no map tiles: nothing
//! leaves the server), with the distance and a scale.

use palabre_store::workspace::MessageView;

/// A geofence as the page draws it (`[[listening.geofences]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct FenceView {
    pub name: String,
    /// Its centre (a circle's, a polygon's centroid), in degrees.
    pub lat: f64,
    pub lon: f64,
    /// A circle's radius in metres.
    pub radius_m: Option<f64>,
    /// A polygon's box: west, south, east, north.
    pub bbox: Option<[f64; 4]>,
}

/// What the page draws, in a 200 × 200 box centred on the fence.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FenceMap {
    pub name: String,
    /// The circle's radius (or 0), the box's corners (or 0), the post: in the drawing's units.
    pub r: f64,
    pub rect: [f64; 4],
    pub px: f64,
    pub py: f64,
    pub distance_m: u64,
    /// The scale bar: its length in the drawing and what it stands for.
    pub bar: f64,
    pub bar_label: String,
}

/// Metres in a degree of latitude (R = 6,371 km).
const METRES_PER_DEGREE: f64 = 6_371_000.0 * std::f64::consts::PI / 180.0;

/// The map of message `m` in the geofence that heard it, when both its point and the fence are
/// known.
pub fn map(fences: &[FenceView], m: &MessageView) -> Option<FenceMap> {
    let heard: serde_json::Value = serde_json::from_str(m.listening.as_deref()?).ok()?;
    let name = heard["geofence"]["name"].as_str()?;
    let distance_m = heard["geofence"]["distance_m"].as_u64().unwrap_or(0);
    let fence = fences.iter().find(|f| f.name == name)?;
    let [lat, lon] = m.point?;
    let cos = fence.lat.to_radians().cos();
    // Metres east and north of the centre, on a plane (fences are small).
    let east = |lon_deg: f64| (lon_deg - fence.lon) * METRES_PER_DEGREE * cos;
    let north = |lat_deg: f64| (lat_deg - fence.lat) * METRES_PER_DEGREE;
    let (x, y) = (east(lon), north(lat));
    let fence_extent = match (fence.radius_m, fence.bbox) {
        (Some(r), _) => r,
        (None, Some([w, s, e, n])) => east(w)
            .abs()
            .max(east(e).abs())
            .max(north(s).abs())
            .max(north(n).abs()),
        (None, None) => return None,
    };
    let extent = fence_extent.max(x.abs()).max(y.abs()).max(1.0) * 1.2;
    let scale = 90.0 / extent;
    let at = |east_m: f64, north_m: f64| (100.0 + east_m * scale, 100.0 - north_m * scale);
    let rect = match fence.bbox {
        Some([w, s, e, n]) if fence.radius_m.is_none() => {
            let (x0, y0) = at(east(w), north(n));
            let (x1, y1) = at(east(e), north(s));
            [x0, y0, x1 - x0, y1 - y0]
        }
        _ => [0.0; 4],
    };
    let (px, py) = at(x, y);
    let bar_m = nice_length(extent / 2.0);
    Some(FenceMap {
        name: name.to_owned(),
        r: fence.radius_m.map_or(0.0, |r| r * scale),
        rect,
        px,
        py,
        distance_m,
        bar: bar_m * scale,
        bar_label: if bar_m >= 1000.0 {
            format!("{} km", bar_m / 1000.0)
        } else {
            format!("{bar_m} m")
        },
    })
}

/// The round length (1, 2 or 5 times a power of ten metres) at most `max`.
fn nice_length(max: f64) -> f64 {
    let power = 10f64.powf(max.max(1.0).log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * power)
        .find(|l| *l <= max)
        .unwrap_or(power)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(listening: &str, point: Option<[f64; 2]>) -> MessageView {
        MessageView {
            platform: "x".into(),
            external_id: "1".into(),
            kind: "post".into(),
            author_id: "a".into(),
            author_handle: None,
            author_name: None,
            author_followers: None,
            author_verified: false,
            text: "t".into(),
            in_reply_to: None,
            referenced_id: None,
            created_ms: 0,
            outcome: "routed_to_human".into(),
            reasons: Vec::new(),
            queue: None,
            reply: None,
            triage: None,
            campaign: None,
            campaign_key: None,
            review: None,
            listening: Some(listening.into()),
            rating: None,
            after_answer: false,
            point,
        }
    }

    #[test]
    fn the_post_is_drawn_where_it_is_in_its_circle_with_a_scale() {
        let fences = [FenceView {
            name: "parc".into(),
            lat: 48.8674,
            lon: 2.7836,
            radius_m: Some(1500.0),
            bbox: None,
        }];
        // 750 m north of the centre: half way to the circle's edge, straight up.
        let north = 48.8674 + 750.0 / METRES_PER_DEGREE;
        let m = message(
            r#"{"queries":[],"geofence":{"name":"parc","distance_m":750}}"#,
            Some([north, 2.7836]),
        );
        let map = map(&fences, &m).unwrap();
        assert!((map.px - 100.0).abs() < 0.01, "{map:?}");
        assert!((100.0 - map.py - map.r / 2.0).abs() < 0.01, "{map:?}");
        assert_eq!((map.distance_m, map.bar_label.as_str()), (750, "500 m"));
        // No point, or a fence the page does not know: no map.
        assert!(
            super::map(
                &fences,
                &message(
                    r#"{"queries":[],"geofence":{"name":"parc","distance_m":1}}"#,
                    None
                )
            )
            .is_none()
        );
        assert!(
            super::map(
                &fences,
                &message(
                    r#"{"queries":[],"geofence":{"name":"hotel","distance_m":1}}"#,
                    Some([0.0, 0.0])
                )
            )
            .is_none()
        );
    }

    #[test]
    fn round_lengths_for_the_scale() {
        assert_eq!(nice_length(900.0), 500.0);
        assert_eq!(nice_length(1800.0), 1000.0);
        assert_eq!(nice_length(2500.0), 2000.0);
        assert_eq!(nice_length(0.3), 1.0);
    }
}
