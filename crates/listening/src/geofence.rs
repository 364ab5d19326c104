//! Geofences: circles and GeoJSON polygons, validated with errors that say what is wrong, and
//! indexed in an R-tree so that a post is placed among thousands of fences at once.
//!
//! **Shapes.** A circle is a centre (latitude, longitude in degrees) and a radius in metres,
//! more than 0 and at most 20,000 km (half the Earth's circumference). A polygon comes from
//! GeoJSON (RFC 7946): a `Polygon` or `MultiPolygon` geometry, or a `Feature` holding one; holes
//! are allowed. GeoJSON positions are `[longitude, latitude]`; a position whose latitude is
//! beyond ±90 is refused with a hint that it may have been written `[latitude, longitude]`.
//! Rings must be closed, have at least 4 positions and not cross themselves (geo's validity
//! check). Polygons are read in the plane of longitude and latitude, as RFC 7946 says: an edge
//! may not span more than 180° of longitude, so a polygon across the antimeridian must be given
//! cut in two at ±180° (a `MultiPolygon`). Circles may cross the antimeridian and cover a pole.
//!
//! **Inside.** A post's own point is inside a circle when its great-circle distance (haversine
//! on a sphere of radius 6,371 km) from the centre is at most the radius, and inside a polygon
//! when it is in it or on its edge, not in a hole. A platform's place is an area, not a point:
//! it puts the post inside a fence only when the whole box lies inside the fence (a city's box
//! never puts a post inside a park). When a post has both, its point decides and the place is
//! ignored; a post with neither is never inside.
//!
//! **Distance** of a hit, in metres: from the circle's centre, or from the polygons' centroid
//! (the centroid of their area in the longitude/latitude plane), to the post's point, or to the
//! centre of its place's box.

use crate::Policy;
use geo::{
    BoundingRect, Centroid, Coord, Covers, Distance, HaversineMeasure, Line, LineString,
    MultiPolygon, Point, Polygon, Rect, Validation,
};
use palabre_core::{GeoBox, GeoPoint};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde_json::Value;
use std::collections::HashSet;
use std::f64::consts::PI;

/// The Earth's radius for distances, in metres (a sphere, as the haversine formula assumes).
pub const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// The largest radius of a circle: 20,000 km, half the Earth's circumference.
pub const MAX_RADIUS_M: f64 = 20_000_000.0;

/// Haversine distances on a sphere of [`EARTH_RADIUS_M`] (geo's own `Haversine` uses the GRS80
/// mean radius, 6,371,008.8 m).
const EARTH: HaversineMeasure = HaversineMeasure::new(EARTH_RADIUS_M);

/// Added around each fence's box in the R-tree, in degrees (about 0.1 mm), so that rounding in
/// the box of a circle never hides a point on its edge.
const PAD_DEG: f64 = 1e-9;

const FLAG_SYNTAX: &str = "NAME:LAT,LON:RADIUS_M[:POLICY], e.g. park:48.8674,2.7836:1500:all";

/// Why a geofence, or a set of them, is refused. Each message names the fence, says what is
/// wrong and what is expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeofenceError {
    #[error("a geofence needs a name, and this one is empty")]
    EmptyName,
    #[error("geofence `{name}` is declared twice: each geofence needs its own name")]
    DuplicateName { name: String },
    #[error(
        "geofence `{name}`: the radius must be more than 0 metres, got {radius_m}; expected a \
         radius in metres, more than 0 and at most 20000000 (20,000 km)"
    )]
    RadiusNotPositive { name: String, radius_m: f64 },
    #[error(
        "geofence `{name}`: the radius {radius_m} is not a finite number; expected a radius in \
         metres, more than 0 and at most 20000000 (20,000 km)"
    )]
    RadiusNotFinite { name: String, radius_m: f64 },
    #[error(
        "geofence `{name}`: the radius {radius_m} m is more than 20,000 km, half the Earth's \
         circumference (such a circle would cover the whole Earth); expected at most 20000000 m"
    )]
    RadiusTooLarge { name: String, radius_m: f64 },
    #[error("geofence `{name}`: latitude {lat} {at} is not between -90 and 90 degrees{hint}")]
    Latitude {
        name: String,
        at: String,
        lat: f64,
        hint: &'static str,
    },
    #[error("geofence `{name}`: longitude {lon} {at} is not between -180 and 180 degrees{hint}")]
    Longitude {
        name: String,
        at: String,
        lon: f64,
        hint: &'static str,
    },
    #[error(
        "geofence `{name}`: {at} holds {found}, which is not a number: GeoJSON coordinates are \
         numbers, [longitude, latitude] in degrees without quotes (e.g. [2.7836, 48.8674])"
    )]
    NotANumber {
        name: String,
        at: String,
        found: String,
    },
    #[error(
        "geofence `{name}`: {at} is {found}; expected a position [longitude, latitude] of 2 \
         numbers (a third, the altitude, is allowed and ignored)"
    )]
    BadPosition {
        name: String,
        at: String,
        found: String,
    },
    #[error(
        "geofence `{name}`: {at} is not closed: it starts at {first} and ends at {last}; expected \
         its last position to repeat its first"
    )]
    RingNotClosed {
        name: String,
        at: String,
        first: String,
        last: String,
    },
    #[error(
        "geofence `{name}`: {at} has {count} positions; expected at least 4 (three corners, then \
         the first repeated to close it)"
    )]
    RingTooShort {
        name: String,
        at: String,
        count: usize,
    },
    #[error(
        "geofence `{name}`: {at} goes from longitude {from} to {to}, more than 180° at once, \
         across the antimeridian; expected such a polygon cut in two at ±180° (a MultiPolygon), \
         as RFC 7946 asks"
    )]
    AcrossAntimeridian {
        name: String,
        at: String,
        from: f64,
        to: f64,
    },
    #[error(
        "geofence `{name}` is not a valid polygon: {problem}; expected rings that do not cross \
         themselves or each other, holes inside their polygon, polygons that do not overlap"
    )]
    InvalidPolygon { name: String, problem: String },
    #[error("geofence `{name}`: {problem}")]
    GeoJson { name: String, problem: String },
    #[error("geofence flag `{spec}`: {problem}; expected {FLAG_SYNTAX}")]
    Flag { spec: String, problem: String },
}

/// A validated circle: its centre is on Earth, its radius within (0, 20,000 km].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    centre: GeoPoint,
    radius_m: f64,
}

impl Circle {
    pub fn centre(&self) -> GeoPoint {
        self.centre
    }

    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    /// The boxes (longitude × latitude) that cover the circle: one, or two when it crosses the
    /// antimeridian (one on each side); every longitude when it covers a pole.
    fn boxes(&self) -> Vec<[f64; 4]> {
        let GeoPoint { lat, lon } = self.centre;
        let angle = (self.radius_m / EARTH_RADIUS_M).to_degrees();
        let (south, north) = (lat - angle, lat + angle);
        if north >= 90.0 || south <= -90.0 {
            return vec![[-180.0, south.max(-90.0), 180.0, north.min(90.0)]];
        }
        // Without a pole inside, the circle's widest longitude span is ±asin(sin r / cos φ).
        let half = (angle.to_radians().sin() / lat.to_radians().cos())
            .min(1.0)
            .asin()
            .to_degrees();
        let (west, east) = (lon - half, lon + half);
        if west < -180.0 {
            vec![
                [west + 360.0, south, 180.0, north],
                [-180.0, south, east, north],
            ]
        } else if east > 180.0 {
            vec![
                [west, south, 180.0, north],
                [-180.0, south, east - 360.0, north],
            ]
        } else {
            vec![[west, south, east, north]]
        }
    }
}

/// Validated polygons (one for a GeoJSON `Polygon`), in longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygons {
    polygons: MultiPolygon<f64>,
    centroid: GeoPoint,
    bounds: Rect<f64>,
}

impl Polygons {
    /// In geo's order: `x` is the longitude, `y` the latitude.
    pub fn polygons(&self) -> &MultiPolygon<f64> {
        &self.polygons
    }

    /// The centroid of their area, where hit distances are measured from.
    pub fn centroid(&self) -> GeoPoint {
        self.centroid
    }

    /// Their box: west, south, east, north.
    pub fn bounds(&self) -> Option<[f64; 4]> {
        use geo::BoundingRect;
        let rect = self.polygons.bounding_rect()?;
        Some([rect.min().x, rect.min().y, rect.max().x, rect.max().y])
    }
}

/// The area of a geofence.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Circle(Circle),
    Polygons(Polygons),
}

impl Shape {
    /// Where hit distances are measured from: the circle's centre, the polygons' centroid.
    pub fn centre(&self) -> GeoPoint {
        match self {
            Shape::Circle(c) => c.centre,
            Shape::Polygons(p) => p.centroid,
        }
    }

    /// Whether the point is inside (the edge counts as inside, a hole as outside).
    pub fn contains_point(&self, point: GeoPoint) -> bool {
        match self {
            Shape::Circle(c) => distance_m(c.centre, point) <= c.radius_m,
            Shape::Polygons(p) => p.polygons.covers(&Point::new(point.lon, point.lat)),
        }
    }

    /// Whether the whole box is inside.
    pub fn contains_box(&self, area: &GeoBox) -> bool {
        match self {
            Shape::Circle(c) => farthest_m(c.centre, area) <= c.radius_m,
            Shape::Polygons(p) => {
                let (min, max) = (p.bounds.min(), p.bounds.max());
                let within_bounds = min.x <= area.west
                    && area.east <= max.x
                    && min.y <= area.south
                    && area.north <= max.y;
                let sw = Coord {
                    x: area.west,
                    y: area.south,
                };
                let ne = Coord {
                    x: area.east,
                    y: area.north,
                };
                // A box of no width or height is a line or a point to geo.
                within_bounds
                    && if sw == ne {
                        p.polygons.covers(&Point(sw))
                    } else if sw.x == ne.x || sw.y == ne.y {
                        p.polygons.covers(&Line::new(sw, ne))
                    } else {
                        p.polygons.covers(&Rect::new(sw, ne))
                    }
            }
        }
    }

    fn boxes(&self) -> Vec<[f64; 4]> {
        match self {
            Shape::Circle(c) => c.boxes(),
            Shape::Polygons(p) => {
                let (min, max) = (p.bounds.min(), p.bounds.max());
                vec![[min.x, min.y, max.x, max.y]]
            }
        }
    }
}

/// A named area and what to do with the posts inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Geofence {
    pub name: String,
    pub shape: Shape,
    pub policy: Policy,
}

impl Geofence {
    /// A circle around a centre in degrees, its radius in metres (more than 0, at most
    /// 20,000 km).
    pub fn circle(
        name: impl Into<String>,
        lat: f64,
        lon: f64,
        radius_m: f64,
        policy: Policy,
    ) -> Result<Geofence, GeofenceError> {
        let name = checked_name(name.into())?;
        if !radius_m.is_finite() {
            return Err(GeofenceError::RadiusNotFinite { name, radius_m });
        }
        if radius_m <= 0.0 {
            return Err(GeofenceError::RadiusNotPositive { name, radius_m });
        }
        if radius_m > MAX_RADIUS_M {
            return Err(GeofenceError::RadiusTooLarge { name, radius_m });
        }
        const HINT: &str = "; expected the centre as LAT,LON in degrees, latitude first \
                            (e.g. 48.8674,2.7836)";
        let centre = checked_point(&name, "of the centre", lat, lon, HINT)?;
        Ok(Geofence {
            name,
            shape: Shape::Circle(Circle { centre, radius_m }),
            policy,
        })
    }

    /// Polygons from a GeoJSON `Polygon` or `MultiPolygon` geometry, or a `Feature` holding
    /// one (its properties are ignored). Positions are `[longitude, latitude]`.
    pub fn from_geojson(
        name: impl Into<String>,
        json: &str,
        policy: Policy,
    ) -> Result<Geofence, GeofenceError> {
        let name = checked_name(name.into())?;
        let polygons = GeoJson { name: &name }.read(json)?;
        Ok(Geofence {
            name,
            shape: Shape::Polygons(polygons),
            policy,
        })
    }

    /// The replay flag `NAME:LAT,LON:RADIUS_M[:POLICY]`, e.g. `park:48.8674,2.7836:1500:all`;
    /// the policy is tagged, actionable, all or observe, `actionable` when left out.
    pub fn parse_flag(spec: &str) -> Result<Geofence, GeofenceError> {
        let flag = |problem: String| GeofenceError::Flag {
            spec: spec.to_owned(),
            problem,
        };
        let parts: Vec<&str> = spec.split(':').collect();
        let (name, centre, radius, policy) = match parts.as_slice() {
            [name, centre, radius] => (*name, *centre, *radius, None),
            [name, centre, radius, policy] => (*name, *centre, *radius, Some(*policy)),
            _ => {
                return Err(flag(format!(
                    "it has {} parts separated by `:`, not 3 or 4",
                    parts.len()
                )));
            }
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(flag("the name is empty".to_owned()));
        }
        let (lat, lon) = centre
            .split_once(',')
            .ok_or_else(|| flag(format!("the centre `{centre}` is not LAT,LON")))?;
        let number = |raw: &str, what: &str| {
            raw.trim()
                .parse::<f64>()
                .map_err(|_| flag(format!("the {what} `{raw}` is not a number")))
        };
        let (lat, lon) = (number(lat, "latitude")?, number(lon, "longitude")?);
        let radius_m = number(radius, "radius in metres")?;
        let policy = match policy {
            None => Policy::Actionable,
            Some(raw) => Policy::parse(raw).ok_or_else(|| {
                flag(format!(
                    "the policy `{raw}` is not one of {}",
                    Policy::NAMES
                ))
            })?,
        };
        Geofence::circle(name, lat, lon, radius_m, policy)
    }

    /// The distance in metres when the post is inside this fence: by its own point when it has
    /// one, else by its place's box (inside only when the whole box is).
    pub fn locate(&self, point: Option<GeoPoint>, place: Option<GeoBox>) -> Option<f64> {
        match (point, place) {
            (Some(point), _) => self
                .shape
                .contains_point(point)
                .then(|| distance_m(self.shape.centre(), point)),
            (None, Some(area)) => {
                let area = GeoBox::new(area.west, area.south, area.east, area.north)?;
                self.shape
                    .contains_box(&area)
                    .then(|| distance_m(self.shape.centre(), box_centre(&area)))
            }
            (None, None) => None,
        }
    }
}

/// A post inside a geofence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The fence, for [`GeofenceSet::get`].
    pub index: usize,
    /// From the fence's centre or centroid to the post's point or its place's centre, in metres.
    pub distance_m: f64,
}

/// Geofences indexed by their boxes in an R-tree: a post is tested only against the fences
/// whose box holds it.
#[derive(Debug, Default)]
pub struct GeofenceSet {
    fences: Vec<Geofence>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl GeofenceSet {
    /// Refuses an empty or a duplicate name.
    pub fn new(fences: Vec<Geofence>) -> Result<GeofenceSet, GeofenceError> {
        let mut names = HashSet::with_capacity(fences.len());
        for fence in &fences {
            if fence.name.trim().is_empty() {
                return Err(GeofenceError::EmptyName);
            }
            if !names.insert(fence.name.as_str()) {
                return Err(GeofenceError::DuplicateName {
                    name: fence.name.clone(),
                });
            }
        }
        let entries = fences
            .iter()
            .enumerate()
            .flat_map(|(index, fence)| {
                fence.shape.boxes().into_iter().map(move |[w, s, e, n]| {
                    let rectangle = Rectangle::from_corners(
                        [w - PAD_DEG, s - PAD_DEG],
                        [e + PAD_DEG, n + PAD_DEG],
                    );
                    GeomWithData::new(rectangle, index)
                })
            })
            .collect();
        Ok(GeofenceSet {
            tree: RTree::bulk_load(entries),
            fences,
        })
    }

    /// The fences the post is inside, nearest first (then by name). The point decides when
    /// there is one; otherwise the place puts the post inside the fences that hold its whole
    /// box; with neither, nothing.
    pub fn locate(&self, point: Option<GeoPoint>, place: Option<GeoBox>) -> Vec<Hit> {
        // Any point of the post's area is in the box of every fence that holds that area.
        let probe = match (point, place) {
            (Some(point), _) => [point.lon, point.lat],
            (None, Some(area)) => {
                let centre = box_centre(&area);
                [centre.lon, centre.lat]
            }
            (None, None) => return Vec::new(),
        };
        // A circle across the antimeridian has two boxes: each fence is tested once.
        let mut candidates: Vec<usize> = self
            .tree
            .locate_all_at_point(&probe)
            .map(|entry| entry.data)
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut hits: Vec<Hit> = candidates
            .into_iter()
            .filter_map(|index| {
                let fence = self.fences.get(index)?;
                let distance_m = fence.locate(point, place)?;
                Some(Hit { index, distance_m })
            })
            .collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then_with(|| self.get(a.index).name.cmp(&self.get(b.index).name))
        });
        hits
    }

    /// The fence of a [`Hit`]. Panics when `index` is not below [`GeofenceSet::len`].
    pub fn get(&self, index: usize) -> &Geofence {
        &self.fences[index]
    }

    pub fn len(&self) -> usize {
        self.fences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fences.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Geofence> {
        self.fences.iter()
    }
}

fn checked_name(name: String) -> Result<String, GeofenceError> {
    if name.trim().is_empty() {
        Err(GeofenceError::EmptyName)
    } else {
        Ok(name)
    }
}

fn checked_point(
    name: &str,
    at: &str,
    lat: f64,
    lon: f64,
    hint: &'static str,
) -> Result<GeoPoint, GeofenceError> {
    if !(lat.is_finite() && lat.abs() <= 90.0) {
        return Err(GeofenceError::Latitude {
            name: name.to_owned(),
            at: at.to_owned(),
            lat,
            hint,
        });
    }
    GeoPoint::new(lat, lon).ok_or_else(|| GeofenceError::Longitude {
        name: name.to_owned(),
        at: at.to_owned(),
        lon,
        hint,
    })
}

/// Great-circle distance in metres (haversine, R = 6,371 km).
fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let d = EARTH.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat));
    // Rounding can push the haversine of antipodes just past 1, where asin gives NaN.
    if d.is_nan() { PI * EARTH_RADIUS_M } else { d }
}

fn box_centre(area: &GeoBox) -> GeoPoint {
    GeoPoint {
        lat: (area.south + area.north) / 2.0,
        lon: (area.west + area.east) / 2.0,
    }
}

/// The greatest distance in metres from `from` to a point of the box: half the circumference
/// minus the smallest distance from `from`'s antipode to the box.
fn farthest_m(from: GeoPoint, area: &GeoBox) -> f64 {
    let antipode = GeoPoint {
        lat: -from.lat,
        lon: if from.lon > 0.0 {
            from.lon - 180.0
        } else {
            from.lon + 180.0
        },
    };
    PI * EARTH_RADIUS_M - nearest_m(antipode, area)
}

/// The smallest distance in metres from `from` to a point of the box (0 inside it).
fn nearest_m(from: GeoPoint, area: &GeoBox) -> f64 {
    if area.west <= from.lon && from.lon <= area.east {
        // Straight north or south: no point of the box is nearer than the difference in
        // latitude.
        let dlat = (area.south - from.lat).max(from.lat - area.north).max(0.0);
        return dlat.to_radians() * EARTH_RADIUS_M;
    }
    // Off the box's longitudes, the nearest point is on its west or east edge (at a given
    // latitude, distance grows with the difference in longitude). Along a meridian the distance
    // is least at latitude atan2(sin φ, cos φ cos Δλ), or else at one of the edge's ends.
    let phi = from.lat.to_radians();
    [area.west, area.east]
        .into_iter()
        .flat_map(|lon| {
            let dlon = (from.lon - lon).to_radians();
            let foot = phi
                .sin()
                .atan2(phi.cos() * dlon.cos())
                .to_degrees()
                .clamp(area.south, area.north);
            [foot, area.south, area.north].map(|lat| distance_m(from, GeoPoint { lat, lon }))
        })
        .fold(f64::INFINITY, f64::min)
}

/// Reads GeoJSON into validated polygons; errors say where, as a path into the document
/// (`coordinates[0][3]`).
struct GeoJson<'a> {
    name: &'a str,
}

const EXPECTED_GEOMETRY: &str = "expected a GeoJSON Polygon or MultiPolygon geometry, or a \
                                 Feature holding one";

impl GeoJson<'_> {
    fn problem(&self, problem: String) -> GeofenceError {
        GeofenceError::GeoJson {
            name: self.name.to_owned(),
            problem,
        }
    }

    fn read(&self, json: &str) -> Result<Polygons, GeofenceError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| self.problem(format!("not valid JSON ({e}); {EXPECTED_GEOMETRY}")))?;
        let (polygons, single) = self.geometry(&value, "", true)?;
        let polygons = MultiPolygon::new(polygons);
        let invalid = if single {
            polygons
                .0
                .first()
                .and_then(|p| p.check_validation().err())
                .map(|e| e.to_string())
        } else {
            polygons.check_validation().err().map(|e| e.to_string())
        };
        if let Some(problem) = invalid {
            return Err(GeofenceError::InvalidPolygon {
                name: self.name.to_owned(),
                problem,
            });
        }
        let centroid = polygons
            .centroid()
            .and_then(|c| GeoPoint::new(c.y(), c.x()));
        let bounds = polygons.bounding_rect();
        let (Some(centroid), Some(bounds)) = (centroid, bounds) else {
            return Err(self.problem(format!("the polygons have no area; {EXPECTED_GEOMETRY}")));
        };
        Ok(Polygons {
            polygons,
            centroid,
            bounds,
        })
    }

    /// The polygons of a geometry, and whether it was a single `Polygon`.
    fn geometry(
        &self,
        value: &Value,
        path: &str,
        top: bool,
    ) -> Result<(Vec<Polygon<f64>>, bool), GeofenceError> {
        let kind = value.get("type").and_then(Value::as_str).ok_or_else(|| {
            self.problem(format!(
                "{} has no `type`; {EXPECTED_GEOMETRY}",
                if path.is_empty() { "the GeoJSON" } else { path }
            ))
        })?;
        let coordinates = || {
            value
                .get("coordinates")
                .ok_or_else(|| self.problem(format!("the {kind} has no `{path}coordinates`")))
        };
        match kind {
            "Feature" if top => match value.get("geometry") {
                Some(geometry) if !geometry.is_null() => {
                    self.geometry(geometry, "geometry.", false)
                }
                _ => Err(self.problem(format!("the Feature has no geometry; {EXPECTED_GEOMETRY}"))),
            },
            "Polygon" => {
                let polygon = self.polygon(coordinates()?, &format!("{path}coordinates"))?;
                Ok((vec![polygon], true))
            }
            "MultiPolygon" => {
                let path = format!("{path}coordinates");
                let all = coordinates()?
                    .as_array()
                    .ok_or_else(|| self.problem(format!("`{path}` is not an array of polygons")))?;
                if all.is_empty() {
                    return Err(self.problem(format!(
                        "the MultiPolygon has no polygon; {EXPECTED_GEOMETRY}"
                    )));
                }
                let polygons = all
                    .iter()
                    .enumerate()
                    .map(|(i, rings)| self.polygon(rings, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?;
                Ok((polygons, false))
            }
            "FeatureCollection" => Err(self.problem(format!(
                "a FeatureCollection holds several shapes: give each Feature as its own geofence; \
                 {EXPECTED_GEOMETRY}"
            ))),
            other => Err(self.problem(format!("a {other} is not an area; {EXPECTED_GEOMETRY}"))),
        }
    }

    fn polygon(&self, rings: &Value, path: &str) -> Result<Polygon<f64>, GeofenceError> {
        let rings = rings.as_array().ok_or_else(|| {
            self.problem(format!(
                "`{path}` is not an array of rings (the outer ring, then any holes)"
            ))
        })?;
        if rings.is_empty() {
            return Err(self.problem(format!(
                "`{path}` has no ring; expected the outer ring, then any holes"
            )));
        }
        let mut read = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let role = if r == 0 { "the outer ring" } else { "a hole" };
            let at = format!("ring `{path}[{r}]` ({role})");
            let positions = ring
                .as_array()
                .ok_or_else(|| self.problem(format!("{at} is not an array of positions")))?;
            let coords = positions
                .iter()
                .enumerate()
                .map(|(i, p)| self.position(p, &format!("position `{path}[{r}][{i}]`")))
                .collect::<Result<Vec<_>, _>>()?;
            if let (Some(first), Some(last)) = (positions.first(), positions.last())
                && coords.first() != coords.last()
            {
                return Err(GeofenceError::RingNotClosed {
                    name: self.name.to_owned(),
                    at,
                    first: first.to_string(),
                    last: last.to_string(),
                });
            }
            if coords.len() < 4 {
                return Err(GeofenceError::RingTooShort {
                    name: self.name.to_owned(),
                    at,
                    count: coords.len(),
                });
            }
            if let Some(edge) = coords.windows(2).find(|e| (e[1].x - e[0].x).abs() > 180.0) {
                return Err(GeofenceError::AcrossAntimeridian {
                    name: self.name.to_owned(),
                    at,
                    from: edge[0].x,
                    to: edge[1].x,
                });
            }
            read.push(LineString::new(coords));
        }
        let mut read = read.into_iter();
        let exterior = read.next().unwrap_or_else(|| LineString::new(Vec::new()));
        Ok(Polygon::new(exterior, read.collect()))
    }

    fn position(&self, position: &Value, at: &str) -> Result<Coord<f64>, GeofenceError> {
        let bad = || GeofenceError::BadPosition {
            name: self.name.to_owned(),
            at: at.to_owned(),
            found: position.to_string(),
        };
        let items = position.as_array().ok_or_else(bad)?;
        if !(2..=3).contains(&items.len()) {
            return Err(bad());
        }
        let mut numbers = [0.0; 3];
        for (slot, item) in numbers.iter_mut().zip(items) {
            *slot = match item {
                Value::Number(n) => n.as_f64().ok_or_else(bad)?,
                Value::String(_) => {
                    return Err(GeofenceError::NotANumber {
                        name: self.name.to_owned(),
                        at: at.to_owned(),
                        found: position.to_string(),
                    });
                }
                _ => return Err(bad()),
            };
        }
        let [lon, lat, _] = numbers;
        let swapped = lat.abs() > 90.0 && lat.abs() <= 180.0 && lon.abs() <= 90.0;
        let hint = if swapped {
            ": GeoJSON positions are [longitude, latitude]; was this one written [latitude, \
             longitude]?"
        } else {
            " (GeoJSON positions are [longitude, latitude])"
        };
        let at = format!("at {at} {position}");
        let point = checked_point(self.name, &at, lat, lon, hint)?;
        Ok(Coord {
            x: point.lon,
            y: point.lat,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn geo_box(west: f64, south: f64, east: f64, north: f64) -> GeoBox {
        GeoBox::new(west, south, east, north).unwrap()
    }

    /// The farthest and nearest distances against a dense walk along the box's edges (the
    /// extremes of a distance over a box lie on its edges unless the point, or its antipode, is
    /// inside it).
    #[test]
    fn extremes_over_a_box_agree_with_sampling() {
        let mut rng = fastrand::Rng::with_seed(12);
        const STEPS: usize = 400;
        for _ in 0..2_000 {
            let from = GeoPoint {
                lat: rng.f64() * 180.0 - 90.0,
                lon: rng.f64() * 360.0 - 180.0,
            };
            let (w, e) = {
                let a = rng.f64() * 360.0 - 180.0;
                let b = (a + rng.f64() * 60.0).min(180.0);
                (a, b)
            };
            let (s, n) = {
                let a = rng.f64() * 180.0 - 90.0;
                let b = (a + rng.f64() * 40.0).min(90.0);
                (a, b)
            };
            let area = geo_box(w, s, e, n);
            let mut far = 0.0_f64;
            let mut near = f64::INFINITY;
            for i in 0..=STEPS {
                let t = i as f64 / STEPS as f64;
                let (lon, lat) = (w + (e - w) * t, s + (n - s) * t);
                for p in [
                    GeoPoint { lat: s, lon },
                    GeoPoint { lat: n, lon },
                    GeoPoint { lat, lon: w },
                    GeoPoint { lat, lon: e },
                ] {
                    let d = distance_m(from, p);
                    far = far.max(d);
                    near = near.min(d);
                }
            }
            let inside = |p: GeoPoint| w <= p.lon && p.lon <= e && s <= p.lat && p.lat <= n;
            // Between two samples, at most half a step away along an edge.
            let slack = ((e - w).max(n - s) / STEPS as f64).to_radians() * EARTH_RADIUS_M;
            let (computed_far, computed_near) = (farthest_m(from, &area), nearest_m(from, &area));
            if inside(from) {
                assert_eq!(computed_near, 0.0);
            } else {
                assert!(computed_near <= near + 1e-6, "{from:?} {area:?}");
                assert!(computed_near >= near - slack, "{from:?} {area:?}");
            }
            assert!(computed_far >= far - 1e-6, "{from:?} {area:?}");
            let antipode_inside = inside(GeoPoint {
                lat: -from.lat,
                lon: if from.lon > 0.0 {
                    from.lon - 180.0
                } else {
                    from.lon + 180.0
                },
            });
            if !antipode_inside {
                assert!(computed_far <= far + slack, "{from:?} {area:?}");
            }
        }
    }

    #[test]
    fn circle_boxes_near_a_pole_and_across_the_antimeridian() {
        let circle = |lat, lon, r| Circle {
            centre: GeoPoint { lat, lon },
            radius_m: r,
        };
        // 200 km around a point 1° from the north pole: the pole is inside, every longitude.
        let polar = circle(89.0, 10.0, 200_000.0).boxes();
        assert_eq!(polar.len(), 1);
        assert_eq!(
            (polar[0][0], polar[0][2], polar[0][3]),
            (-180.0, 180.0, 90.0)
        );
        // 100 km around Taveuni (Fiji), on the antimeridian: two boxes.
        let fiji = circle(-16.8, 179.9, 100_000.0).boxes();
        assert_eq!(fiji.len(), 2);
        assert_eq!(fiji[0][2], 180.0);
        assert_eq!(fiji[1][0], -180.0);
        assert!(fiji[1][2] > -179.9 && fiji[1][2] < -178.0);
        // The box is tight: the circle reaches its west edge.
        let paris = circle(48.8674, 2.7836, 1_500.0).boxes();
        let [w, _, e, _] = paris[0];
        let lat_of_widest = (48.8674_f64.to_radians().sin() / (1_500.0 / EARTH_RADIUS_M).cos())
            .asin()
            .to_degrees();
        let d = distance_m(
            GeoPoint {
                lat: 48.8674,
                lon: 2.7836,
            },
            GeoPoint {
                lat: lat_of_widest,
                lon: w,
            },
        );
        assert!((d - 1_500.0).abs() < 1e-3, "{d}");
        assert!((e - 2.7836 - (2.7836 - w)).abs() < 1e-12);
    }
}
