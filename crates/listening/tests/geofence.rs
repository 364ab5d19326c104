//! Geofences through their public API: the edge of a circle, polygons with holes, the
//! longitude/latitude order, the place rule, every refused input, and the R-tree against a scan.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_core::{GeoBox, GeoPoint};
use palabre_listening::Policy;
use palabre_listening::geofence::{Geofence, GeofenceError, GeofenceSet, Hit, Shape};
use std::time::Instant;

/// The park's centre (Disneyland Paris, Chessy), as in the replay flag's example.
const PARK: (f64, f64) = (48.8674, 2.7836);
const R: f64 = 6_371_000.0;

fn point(lat: f64, lon: f64) -> Option<GeoPoint> {
    Some(GeoPoint::new(lat, lon).unwrap())
}

fn geo_box(west: f64, south: f64, east: f64, north: f64) -> Option<GeoBox> {
    Some(GeoBox::new(west, south, east, north).unwrap())
}

/// The haversine formula, written here again so that the tests do not trust the crate's.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let (dp, dl) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

fn set(fences: Vec<Geofence>) -> GeofenceSet {
    GeofenceSet::new(fences).unwrap()
}

fn names(set: &GeofenceSet, hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| set.get(h.index).name.clone()).collect()
}

fn err(result: Result<Geofence, GeofenceError>) -> String {
    result.unwrap_err().to_string()
}

fn square(west: f64, south: f64, east: f64, north: f64) -> String {
    format!(
        "[[{west},{south}],[{east},{south}],[{east},{north}],[{west},{north}],[{west},{south}]]"
    )
}

// ---------------------------------------------------------------- circles

#[test]
fn a_circle_holds_1499_m_and_not_1501_m() {
    let park = Geofence::parse_flag("park:48.8674,2.7836:1500:all").unwrap();
    assert_eq!(park.policy, Policy::All);
    let Shape::Circle(c) = &park.shape else {
        panic!()
    };
    assert_eq!(
        (c.centre().lat, c.centre().lon, c.radius_m()),
        (PARK.0, PARK.1, 1_500.0)
    );
    let fences = set(vec![park]);
    // North along the meridian, d metres are exactly d / R radians of latitude.
    let north = |d: f64| PARK.0 + (d / R).to_degrees();
    // East along the parallel: cos(d / R) = sin²φ + cos²φ cos Δλ (spherical law of cosines).
    let east = |d: f64| {
        let phi = PARK.0.to_radians();
        let cos_dl = ((d / R).cos() - phi.sin().powi(2)) / phi.cos().powi(2);
        PARK.1 + cos_dl.acos().to_degrees()
    };
    for (lat, lon) in [(north(1_499.0), PARK.1), (PARK.0, east(1_499.0))] {
        let hits = fences.locate(point(lat, lon), None);
        assert_eq!(hits.len(), 1, "1,499 m away is inside");
        assert!((hits[0].distance_m - 1_499.0).abs() < 1e-3, "{hits:?}");
    }
    for (lat, lon) in [(north(1_501.0), PARK.1), (PARK.0, east(1_501.0))] {
        assert!(
            fences.locate(point(lat, lon), None).is_empty(),
            "1,501 m away is outside"
        );
    }
    // The policy defaults to actionable.
    assert_eq!(
        Geofence::parse_flag("park:48.8674,2.7836:1500")
            .unwrap()
            .policy,
        Policy::Actionable
    );
}

#[test]
fn circles_over_a_pole_and_across_the_antimeridian() {
    let fences = set(vec![
        Geofence::circle("pole", 89.5, 0.0, 300_000.0, Policy::Observe).unwrap(),
        Geofence::circle("taveuni", -16.8, 179.95, 50_000.0, Policy::All).unwrap(),
    ]);
    // On the far side of the pole, 180° of longitude away from the centre.
    assert_eq!(
        names(&fences, &fences.locate(point(88.0, 180.0), None)),
        ["pole"]
    );
    // West of the antimeridian, in the circle centred east of it, and the other way round.
    assert_eq!(
        names(&fences, &fences.locate(point(-16.8, -179.9), None)),
        ["taveuni"]
    );
    assert_eq!(
        names(&fences, &fences.locate(point(-16.7, 179.8), None)),
        ["taveuni"]
    );
    assert!(fences.locate(point(-16.8, -179.0), None).is_empty());
}

// ---------------------------------------------------------------- polygons

#[test]
fn a_polygon_with_a_hole() {
    // A park, as a Feature, with its lake cut out.
    let json = format!(
        r#"{{"type": "Feature", "properties": {{"name": "park"}},
             "geometry": {{"type": "Polygon", "coordinates": [{}, {}]}}}}"#,
        square(2.77, 48.86, 2.80, 48.88),
        square(2.78, 48.865, 2.79, 48.875)
    );
    let park = Geofence::from_geojson("park", &json, Policy::All).unwrap();
    let fences = set(vec![park]);
    assert_eq!(
        fences.locate(point(48.862, 2.775), None).len(),
        1,
        "in the park"
    );
    assert!(
        fences.locate(point(48.87, 2.785), None).is_empty(),
        "in the lake"
    );
    assert!(
        fences.locate(point(48.89, 2.775), None).is_empty(),
        "north of the park"
    );
    // On the edge counts as inside, as a circle's edge does.
    assert_eq!(fences.locate(point(48.86, 2.775), None).len(), 1);
    // The distance is from the centroid: the hole is symmetric, so the square's centre.
    let hit = fences.locate(point(48.862, 2.775), None)[0];
    let expected = haversine((48.862, 2.775), (48.87, 2.785));
    assert!(
        (hit.distance_m - expected).abs() < 1.0,
        "{hit:?} vs {expected}"
    );
}

#[test]
fn a_multipolygon_holds_each_of_its_polygons() {
    let json = format!(
        r#"{{"type": "MultiPolygon", "coordinates": [[{}], [{}]]}}"#,
        square(2.0, 48.0, 2.1, 48.1),
        square(3.0, 48.0, 3.1, 48.1)
    );
    let fences = set(vec![
        Geofence::from_geojson("two", &json, Policy::Tagged).unwrap(),
    ]);
    assert_eq!(fences.locate(point(48.05, 2.05), None).len(), 1);
    assert_eq!(fences.locate(point(48.05, 3.05), None).len(), 1);
    assert!(
        fences.locate(point(48.05, 2.5), None).is_empty(),
        "between the two"
    );
    let Shape::Polygons(p) = &fences.get(0).shape else {
        panic!()
    };
    assert!((p.centroid().lon - 2.55).abs() < 1e-9 && (p.centroid().lat - 48.05).abs() < 1e-9);
}

/// GeoJSON is `[longitude, latitude]`: the park's polygon holds the park only in that order,
/// and a place written `[latitude, longitude]` with a latitude beyond ±90 is refused.
#[test]
fn geojson_is_longitude_then_latitude() {
    let right = format!(
        r#"{{"type": "Polygon", "coordinates": [{}]}}"#,
        square(2.77, 48.86, 2.80, 48.88)
    );
    // The same corners written latitude first.
    let swapped = r#"{"type": "Polygon", "coordinates": [[[48.86,2.77],[48.86,2.80],[48.88,2.80],[48.88,2.77],[48.86,2.77]]]}"#;
    let fences = set(vec![
        Geofence::from_geojson("right", &right, Policy::All).unwrap(),
        Geofence::from_geojson("swapped", swapped, Policy::All).unwrap(),
    ]);
    assert_eq!(
        names(&fences, &fences.locate(point(PARK.0, PARK.1), None)),
        ["right"]
    );
    // The swapped polygon is off the Horn of Africa: latitude 2.78, longitude 48.87.
    assert_eq!(
        names(&fences, &fences.locate(point(PARK.1, PARK.0), None)),
        ["swapped"]
    );

    // Sydney (151.2° E, 33.9° S) written [latitude, longitude].
    let sydney = r#"{"type": "Polygon", "coordinates": [[[-33.9,151.2],[-33.8,151.2],[-33.8,151.3],[-33.9,151.2]]]}"#;
    let e = err(Geofence::from_geojson("sydney", sydney, Policy::All));
    assert_eq!(
        e,
        "geofence `sydney`: latitude 151.2 at position `coordinates[0][0]` [-33.9,151.2] is not \
         between -90 and 90 degrees: GeoJSON positions are [longitude, latitude]; was this one \
         written [latitude, longitude]?"
    );
    let sydney_right = r#"{"type": "Polygon", "coordinates": [[[151.2,-33.9],[151.2,-33.8],[151.3,-33.8],[151.2,-33.9]]]}"#;
    let fences = set(vec![
        Geofence::from_geojson("sydney", sydney_right, Policy::All).unwrap(),
    ]);
    assert_eq!(fences.locate(point(-33.82, 151.22), None).len(), 1);
}

// ---------------------------------------------------------------- places

#[test]
fn a_place_counts_only_when_its_whole_box_is_inside() {
    let big = format!(
        r#"{{"type": "Polygon", "coordinates": [{}]}}"#,
        square(1.4, 48.1, 3.6, 49.3)
    );
    let park_polygon = format!(
        r#"{{"type": "Polygon", "coordinates": [{}]}}"#,
        square(2.77, 48.86, 2.80, 48.88)
    );
    let fences = set(vec![
        Geofence::circle("park", PARK.0, PARK.1, 1_500.0, Policy::All).unwrap(),
        Geofence::from_geojson("park-polygon", &park_polygon, Policy::All).unwrap(),
        Geofence::from_geojson("ile-de-france", &big, Policy::Observe).unwrap(),
        Geofence::circle("region", 48.85, 2.35, 80_000.0, Policy::Observe).unwrap(),
    ]);
    // Paris's box holds the park's centre, but is far larger than the park.
    let paris = geo_box(2.2241, 48.8156, 2.4699, 48.9022);
    assert_eq!(
        names(&fences, &fences.locate(None, paris)),
        ["region", "ile-de-france"],
        "the city is in the region and the big polygon, never in the park"
    );
    // A 200 m box around the park's centre is inside every fence.
    let small = geo_box(2.7822, 48.8665, 2.7850, 48.8683);
    let hits = fences.locate(None, small);
    assert_eq!(hits.len(), 4, "{:?}", names(&fences, &hits));
    assert_eq!(fences.get(hits[0].index).name, "park");
    let centre = ((48.8665 + 48.8683) / 2.0, (2.7822 + 2.7850) / 2.0);
    assert!((hits[0].distance_m - haversine(PARK, centre)).abs() < 1e-6);
    // A box sticking out of the circle on one side only is not inside it.
    let across_the_edge = geo_box(2.7822, 48.8665, 2.8100, 48.8683);
    assert!(!names(&fences, &fences.locate(None, across_the_edge)).contains(&"park".to_owned()));
}

#[test]
fn the_point_decides_over_the_place_and_nothing_means_outside() {
    let fences = set(vec![
        Geofence::circle("park", PARK.0, PARK.1, 1_500.0, Policy::All).unwrap(),
    ]);
    let small_in_park = geo_box(2.7822, 48.8665, 2.7850, 48.8683);
    let paris = geo_box(2.2241, 48.8156, 2.4699, 48.9022);
    // A point in Paris with a place inside the park: the point says outside.
    assert!(
        fences
            .locate(point(48.8566, 2.3522), small_in_park)
            .is_empty()
    );
    // A point in the park with Paris as its place: inside, measured from the point.
    let hits = fences.locate(point(48.8680, 2.7840), paris);
    assert_eq!(hits.len(), 1);
    assert!((hits[0].distance_m - haversine(PARK, (48.8680, 2.7840))).abs() < 1e-6);
    assert!(fences.locate(None, None).is_empty());
    assert!(
        GeofenceSet::new(Vec::new())
            .unwrap()
            .locate(point(0.0, 0.0), None)
            .is_empty()
    );
}

#[test]
fn hits_are_sorted_by_distance_then_name() {
    let fences = set(vec![
        Geofence::circle("b", PARK.0, PARK.1, 5_000.0, Policy::All).unwrap(),
        Geofence::circle("far", 48.9, 2.8, 10_000.0, Policy::All).unwrap(),
        Geofence::circle("a", PARK.0, PARK.1, 3_000.0, Policy::All).unwrap(),
    ]);
    let hits = fences.locate(point(48.868, 2.784), None);
    assert_eq!(names(&fences, &hits), ["a", "b", "far"]);
}

// ---------------------------------------------------------------- refused input

#[test]
fn bad_circles_say_what_is_wrong() {
    let circle = |r: f64| err(Geofence::circle("park", PARK.0, PARK.1, r, Policy::All));
    assert_eq!(
        circle(0.0),
        "geofence `park`: the radius must be more than 0 metres, got 0; expected a radius in \
         metres, more than 0 and at most 20000000 (20,000 km)"
    );
    assert!(circle(-5.0).contains("must be more than 0 metres, got -5"));
    assert!(circle(f64::NAN).contains("the radius NaN is not a finite number"));
    assert!(circle(f64::INFINITY).contains("the radius inf is not a finite number"));
    assert_eq!(
        circle(30_000_000.0),
        "geofence `park`: the radius 30000000 m is more than 20,000 km, half the Earth's \
         circumference (such a circle would cover the whole Earth); expected at most 20000000 m"
    );
    assert!(Geofence::circle("world", 0.0, 0.0, 20_000_000.0, Policy::Observe).is_ok());
    assert_eq!(
        err(Geofence::circle("park", 91.0, 2.78, 1_500.0, Policy::All)),
        "geofence `park`: latitude 91 of the centre is not between -90 and 90 degrees; expected \
         the centre as LAT,LON in degrees, latitude first (e.g. 48.8674,2.7836)"
    );
    assert!(
        err(Geofence::circle("park", 48.87, 181.0, 1_500.0, Policy::All)).starts_with(
            "geofence `park`: longitude 181 of the centre is not between -180 and 180"
        )
    );
    assert_eq!(
        err(Geofence::circle(" ", 48.87, 2.78, 1_500.0, Policy::All)),
        "a geofence needs a name, and this one is empty"
    );
}

#[test]
fn bad_flags_say_what_is_wrong() {
    let flag = |spec: &str| err(Geofence::parse_flag(spec));
    assert_eq!(
        flag("park:48.8674,2.7836:1500:sometimes"),
        "geofence flag `park:48.8674,2.7836:1500:sometimes`: the policy `sometimes` is not one of \
         tagged, actionable, all or observe; expected NAME:LAT,LON:RADIUS_M[:POLICY], e.g. \
         park:48.8674,2.7836:1500:all"
    );
    assert!(flag("park:48.8674,2.7836").contains("it has 2 parts separated by `:`, not 3 or 4"));
    assert!(
        flag("park:48.8674;2.7836:1500").contains("the centre `48.8674;2.7836` is not LAT,LON")
    );
    assert!(
        flag("park:48.8674,2.7836:1.5km").contains("the radius in metres `1.5km` is not a number")
    );
    assert!(flag(":48.8674,2.7836:1500").contains("the name is empty"));
    // The circle's own checks name the fence.
    assert!(flag("park:48.8674,2.7836:0").starts_with("geofence `park`: the radius must be"));
    assert!(flag("park:148.8674,2.7836:10").starts_with("geofence `park`: latitude 148.8674"));
}

#[test]
fn bad_geojson_says_what_is_wrong() {
    let geojson = |json: &str| err(Geofence::from_geojson("zone", json, Policy::All));
    // Coordinates as strings.
    assert_eq!(
        geojson(
            r#"{"type":"Polygon","coordinates":[[["2.78","48.87"],[2.79,48.87],[2.79,48.88],[2.78,48.87]]]}"#
        ),
        "geofence `zone`: position `coordinates[0][0]` holds [\"2.78\",\"48.87\"], which is not a \
         number: GeoJSON coordinates are numbers, [longitude, latitude] in degrees without quotes \
         (e.g. [2.7836, 48.8674])"
    );
    // A ring that does not come back to its start.
    assert_eq!(
        geojson(
            r#"{"type":"Polygon","coordinates":[[[2.78,48.87],[2.79,48.87],[2.79,48.88],[2.78,48.88]]]}"#
        ),
        "geofence `zone`: ring `coordinates[0]` (the outer ring) is not closed: it starts at \
         [2.78,48.87] and ends at [2.78,48.88]; expected its last position to repeat its first"
    );
    // Three positions: a line there and back.
    assert_eq!(
        geojson(r#"{"type":"Polygon","coordinates":[[[2.78,48.87],[2.79,48.87],[2.78,48.87]]]}"#),
        "geofence `zone`: ring `coordinates[0]` (the outer ring) has 3 positions; expected at \
         least 4 (three corners, then the first repeated to close it)"
    );
    // A bow tie crosses itself.
    assert_eq!(
        geojson(r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#),
        "geofence `zone` is not a valid polygon: exterior ring has a self-intersection; expected \
         rings that do not cross themselves or each other, holes inside their polygon, polygons \
         that do not overlap"
    );
    // A hole outside its polygon, in a MultiPolygon.
    let e = geojson(&format!(
        r#"{{"type":"MultiPolygon","coordinates":[[{}, {}]]}}"#,
        square(0.0, 0.0, 1.0, 1.0),
        square(5.0, 5.0, 6.0, 6.0)
    ));
    assert!(
        e.contains("polygon at index 0 is invalid: interior ring at index 0"),
        "{e}"
    );
    // A longitude beyond ±180, a position of one number, a hole's own position path.
    assert!(
        geojson(r#"{"type":"Polygon","coordinates":[[[181,0],[1,1],[1,0],[181,0]]]}"#)
            .starts_with("geofence `zone`: longitude 181 at position `coordinates[0][0]` [181,0]")
    );
    assert!(
        geojson(r#"{"type":"Polygon","coordinates":[[[2.78],[1,1],[1,0],[2.78]]]}"#).contains(
            "position `coordinates[0][0]` is [2.78]; expected a position [longitude, latitude]"
        )
    );
    let hole = format!(
        r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[{},[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2],[0.2,0.3]]]}}}}"#,
        square(0.0, 0.0, 1.0, 1.0)
    );
    assert!(
        geojson(&hole).contains("ring `geometry.coordinates[1]` (a hole) is not closed"),
        "{}",
        geojson(&hole)
    );
    // Across the antimeridian.
    assert!(
        geojson(r#"{"type":"Polygon","coordinates":[[[179,-17],[-179,-17],[-179,-16],[179,-16],[179,-17]]]}"#)
            .contains("goes from longitude 179 to -179, more than 180° at once, across the antimeridian")
    );
    // Not an area, not GeoJSON.
    assert_eq!(
        geojson(r#"{"type":"Point","coordinates":[2.78,48.87]}"#),
        "geofence `zone`: a Point is not an area; expected a GeoJSON Polygon or MultiPolygon \
         geometry, or a Feature holding one"
    );
    assert!(
        geojson(r#"{"type":"FeatureCollection","features":[]}"#)
            .contains("give each Feature as its own geofence")
    );
    assert!(
        geojson(r#"{"type":"Feature","geometry":null}"#).contains("the Feature has no geometry")
    );
    assert!(
        geojson("POLYGON((0 0, 1 0, 1 1, 0 0))").starts_with("geofence `zone`: not valid JSON")
    );
    assert!(geojson(r#"{"coordinates":[]}"#).contains("the GeoJSON has no `type`"));
}

#[test]
fn duplicate_names_are_refused() {
    let a = Geofence::circle("park", PARK.0, PARK.1, 1_500.0, Policy::All).unwrap();
    let e = GeofenceSet::new(vec![a.clone(), a]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "geofence `park` is declared twice: each geofence needs its own name"
    );
}

// ---------------------------------------------------------------- the index

/// 5,000 random circles (and 500 polygons) over France and the whole globe, poles and
/// antimeridian included: `locate` finds exactly what a scan of every fence finds, on 2,000
/// random points and 500 random places.
#[test]
fn the_index_agrees_with_a_scan_of_every_fence() {
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * rng.f64();
    let mut fences = Vec::new();
    let mut circles = Vec::new();
    for i in 0..5_000 {
        let (lat, lon, radius) = if i % 10 < 7 {
            (
                uniform(42.0, 51.0),
                uniform(-5.0, 8.0),
                uniform(100.0, 50_000.0),
            )
        } else {
            (
                uniform(-90.0, 90.0),
                uniform(-180.0, 180.0),
                uniform(1_000.0, 2_000_000.0),
            )
        };
        circles.push((lat, lon, radius));
        fences.push(Geofence::circle(format!("c{i}"), lat, lon, radius, Policy::All).unwrap());
    }
    for i in 0..500 {
        let (w, s) = (uniform(-5.0, 7.5), uniform(42.0, 50.5));
        let (e, n) = (w + uniform(0.01, 0.5), s + uniform(0.01, 0.5));
        let json = format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(w, s, e, n)
        );
        fences.push(Geofence::from_geojson(format!("p{i}"), &json, Policy::All).unwrap());
    }
    let started = Instant::now();
    let fences = set(fences);
    let built = started.elapsed();

    let mut points = Vec::new();
    let mut places = Vec::new();
    for i in 0..2_000 {
        let (lat, lon) = if i % 10 < 7 {
            (uniform(42.0, 51.0), uniform(-5.0, 8.0))
        } else {
            (uniform(-90.0, 90.0), uniform(-180.0, 180.0))
        };
        points.push((lat, lon));
    }
    for _ in 0..500 {
        let (w, s) = (uniform(-5.0, 7.9), uniform(42.0, 50.9));
        let size = uniform(0.0001, 0.1);
        places.push(GeoBox::new(w, s, w + size, s + size).unwrap());
    }

    let mut inside = 0;
    for &(lat, lon) in &points {
        let hits = fences.locate(point(lat, lon), None);
        inside += hits.len();
        let found: Vec<usize> = {
            let mut f: Vec<usize> = hits.iter().map(|h| h.index).collect();
            f.sort_unstable();
            f
        };
        for (index, &(clat, clon, radius)) in circles.iter().enumerate() {
            let d = haversine((clat, clon), (lat, lon));
            let hit = found.binary_search(&index).is_ok();
            if hit != (d <= radius) {
                assert!(
                    (d - radius).abs() < 1e-6,
                    "({lat}, {lon}) vs c{index}: {d} m, r {radius}"
                );
            }
        }
        for index in circles.len()..fences.len() {
            let scanned = fences.get(index).locate(point(lat, lon), None).is_some();
            assert_eq!(
                found.binary_search(&index).is_ok(),
                scanned,
                "({lat}, {lon}) vs p{index}"
            );
        }
        for hit in &hits {
            if let Some(&(clat, clon, _)) = circles.get(hit.index) {
                let d = haversine((clat, clon), (lat, lon));
                assert!((hit.distance_m - d).abs() <= 1e-6 * d.max(1.0));
            }
        }
        assert!(hits.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
    }
    let mut placed = 0;
    for place in &places {
        let mut found: Vec<usize> = fences
            .locate(None, Some(*place))
            .iter()
            .map(|h| h.index)
            .collect();
        found.sort_unstable();
        let scanned: Vec<usize> = (0..fences.len())
            .filter(|&i| fences.get(i).locate(None, Some(*place)).is_some())
            .collect();
        assert_eq!(found, scanned, "{place:?}");
        placed += found.len();
    }
    assert!(
        inside > 1_000,
        "the test must find posts inside fences: {inside}"
    );
    assert!(
        placed > 100,
        "the test must find places inside fences: {placed}"
    );

    // The time of `locate` (run `cargo test --release -p palabre-listening -- --nocapture`).
    let rounds = 10;
    let started = Instant::now();
    let mut total = 0;
    for _ in 0..rounds {
        for &(lat, lon) in &points {
            total += fences.locate(point(lat, lon), None).len();
        }
    }
    let per_point = started.elapsed() / (rounds * points.len()) as u32;
    let started = Instant::now();
    for _ in 0..rounds {
        for place in &places {
            total += fences.locate(None, Some(*place)).len();
        }
    }
    let per_place = started.elapsed() / (rounds * places.len()) as u32;
    println!(
        "geofences: {} fences indexed in {built:?}; locate by point {per_point:?}, by place \
         {per_place:?} ({total} hits; per round, {inside} by points, {placed} by places)",
        fences.len()
    );
}
