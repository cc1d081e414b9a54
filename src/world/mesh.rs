//! Triangle meshes: tessellated primitives and the mesh builders scripts use
//! (explicit faces, lathe, extrusion, sweep, heightfield).
//!
//! Meshes are built once, when the scene is built, and shared by the
//! simulation (colliders) and the renderer (drawing).

use glam::{Quat, Vec2, Vec3};

use super::entity::Shape;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    pub positions: Vec<Vec3>,
    pub normals: Vec<Vec3>,
    pub indices: Vec<[u32; 3]>,
    /// Per-vertex colour laid over the entity's base colour: linear rgb,
    /// a = how much it covers (0 keeps the base). Empty: uniform colour.
    pub colors: Vec<[f32; 4]>,
}

impl Mesh {
    pub fn triangle_count(&self) -> usize {
        self.indices.len()
    }

    pub fn bounds(&self) -> (Vec3, Vec3) {
        if self.positions.is_empty() {
            return (Vec3::ZERO, Vec3::ZERO);
        }
        self.positions.iter().fold(
            (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
            |(lo, hi), p| (lo.min(*p), hi.max(*p)),
        )
    }

    /// Builds a mesh with smooth normals from positions and triangles.
    /// Triangles must be counter-clockwise seen from outside.
    pub fn from_faces(positions: Vec<Vec3>, indices: Vec<[u32; 3]>) -> Mesh {
        let mut m = Mesh {
            normals: vec![Vec3::ZERO; positions.len()],
            positions,
            indices,
            colors: Vec::new(),
        };
        m.recompute_normals();
        m
    }

    /// Area-weighted vertex normals.
    pub fn recompute_normals(&mut self) {
        let mut normals = vec![Vec3::ZERO; self.positions.len()];
        for tri in &self.indices {
            let [a, b, c] = tri.map(|i| self.positions[i as usize]);
            let n = (b - a).cross(c - a);
            for i in tri {
                normals[*i as usize] += n;
            }
        }
        for n in &mut normals {
            *n = n.try_normalize().unwrap_or(Vec3::Y);
        }
        self.normals = normals;
    }

    fn push_vertex(&mut self, p: Vec3, n: Vec3) -> u32 {
        self.positions.push(p);
        self.normals.push(n);
        (self.positions.len() - 1) as u32
    }

    fn append(&mut self, other: Mesh) {
        let base = self.positions.len() as u32;
        if !self.colors.is_empty() || !other.colors.is_empty() {
            self.colors.resize(self.positions.len(), [0.0; 4]);
            let mut theirs = other.colors;
            theirs.resize(other.positions.len(), [0.0; 4]);
            self.colors.extend(theirs);
        }
        self.positions.extend(other.positions);
        self.normals.extend(other.normals);
        self.indices
            .extend(other.indices.into_iter().map(|t| t.map(|i| i + base)));
    }

    pub fn is_finite(&self) -> bool {
        self.positions.iter().all(|p| p.is_finite())
    }
}

/// Detail level for curved primitives: segments around a full circle.
pub const DEFAULT_SEGMENTS: u32 = 32;

/// Tessellates any shape for drawing. Groups give an empty mesh.
pub fn tessellate(shape: &Shape) -> Mesh {
    match shape {
        Shape::Group => Mesh::default(),
        Shape::Box { size } => box_mesh(*size),
        Shape::Sphere { radius } => sphere_mesh(*radius, DEFAULT_SEGMENTS, DEFAULT_SEGMENTS / 2),
        Shape::Cylinder { radius, height } => {
            cylinder_mesh(*radius, *radius, *height, DEFAULT_SEGMENTS)
        }
        Shape::Cone { radius, height } => cylinder_mesh(*radius, 0.0, *height, DEFAULT_SEGMENTS),
        Shape::Capsule { radius, height } => capsule_mesh(*radius, *height, DEFAULT_SEGMENTS),
        Shape::Plane { width, depth } => plane_mesh(*width, *depth),
        Shape::Torus { major, minor } => {
            torus_mesh(*major, *minor, DEFAULT_SEGMENTS, DEFAULT_SEGMENTS / 2)
        }
        Shape::Mesh { mesh, .. } => (**mesh).clone(),
        Shape::Heightfield {
            heights,
            rows,
            cols,
            width,
            depth,
            layers,
        } => {
            let mut m = heightfield_mesh(heights, *rows, *cols, *width, *depth);
            m.colors = terrain_colors(&m, layers);
            m
        }
    }
}

/// Triangle count of [`tessellate`] without building it, for budgets.
pub fn triangle_estimate(shape: &Shape) -> usize {
    let s = DEFAULT_SEGMENTS as usize;
    match shape {
        Shape::Group => 0,
        Shape::Box { .. } => 12,
        Shape::Sphere { .. } => s * (s / 2) * 2,
        Shape::Cylinder { .. } | Shape::Cone { .. } => s * 4,
        Shape::Capsule { .. } => s * (s / 2 + 1) * 2,
        Shape::Plane { .. } => 2,
        Shape::Torus { .. } => s * (s / 2) * 2,
        Shape::Mesh { triangles, .. } => *triangles,
        Shape::Heightfield { rows, cols, .. } => {
            rows.saturating_sub(1) * cols.saturating_sub(1) * 2
        }
    }
}

pub fn box_mesh(size: Vec3) -> Mesh {
    let h = size * 0.5;
    let mut m = Mesh::default();
    // Each face: normal, and two in-plane axes (u, v) with u x v = normal.
    let faces = [
        (Vec3::X, Vec3::NEG_Z, Vec3::Y),
        (Vec3::NEG_X, Vec3::Z, Vec3::Y),
        (Vec3::Y, Vec3::X, Vec3::NEG_Z),
        (Vec3::NEG_Y, Vec3::X, Vec3::Z),
        (Vec3::Z, Vec3::X, Vec3::Y),
        (Vec3::NEG_Z, Vec3::NEG_X, Vec3::Y),
    ];
    for (n, u, v) in faces {
        let c = n * h;
        let (hu, hv) = (u * h, v * h);
        let a = m.push_vertex(c - hu - hv, n);
        let b = m.push_vertex(c + hu - hv, n);
        let cc = m.push_vertex(c + hu + hv, n);
        let d = m.push_vertex(c - hu + hv, n);
        m.indices.push([a, b, cc]);
        m.indices.push([a, cc, d]);
    }
    m
}

pub fn plane_mesh(width: f32, depth: f32) -> Mesh {
    let (w, d) = (width * 0.5, depth * 0.5);
    let mut m = Mesh::default();
    let a = m.push_vertex(Vec3::new(-w, 0.0, d), Vec3::Y);
    let b = m.push_vertex(Vec3::new(w, 0.0, d), Vec3::Y);
    let c = m.push_vertex(Vec3::new(w, 0.0, -d), Vec3::Y);
    let e = m.push_vertex(Vec3::new(-w, 0.0, -d), Vec3::Y);
    m.indices.push([a, b, c]);
    m.indices.push([a, c, e]);
    m
}

pub fn sphere_mesh(radius: f32, segments: u32, rings: u32) -> Mesh {
    let mut m = Mesh::default();
    for r in 0..=rings {
        let theta = std::f32::consts::PI * r as f32 / rings as f32;
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            let n = Vec3::new(
                libm::sinf(theta) * libm::cosf(phi),
                libm::cosf(theta),
                -libm::sinf(theta) * libm::sinf(phi),
            );
            m.push_vertex(n * radius, n);
        }
    }
    grid_indices(&mut m, 0, rings, segments);
    m
}

/// Quads between consecutive rows of a (rows+1) x (cols+1) vertex grid whose
/// rows run in the order that makes triangles face outwards.
fn grid_indices(m: &mut Mesh, base: u32, rows: u32, cols: u32) {
    let stride = cols + 1;
    for r in 0..rows {
        for c in 0..cols {
            let a = base + r * stride + c;
            let b = a + stride;
            m.indices.push([a, b, b + 1]);
            m.indices.push([a, b + 1, a + 1]);
        }
    }
}

/// A frustum along Y: cylinder when the radii match, cone when `top` is 0.
pub fn cylinder_mesh(bottom: f32, top: f32, height: f32, segments: u32) -> Mesh {
    let h = height * 0.5;
    let mut m = Mesh::default();
    let slope = (bottom - top) / height.max(1e-6);
    for (y, r) in [(h, top), (-h, bottom)] {
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            let dir = Vec3::new(libm::cosf(phi), 0.0, -libm::sinf(phi));
            let n = (dir + Vec3::Y * slope).normalize();
            m.push_vertex(dir * r + Vec3::Y * y, n);
        }
    }
    grid_indices(&mut m, 0, 1, segments);
    for (y, r, n) in [(h, top, Vec3::Y), (-h, bottom, Vec3::NEG_Y)] {
        if r <= 0.0 {
            continue;
        }
        let centre = m.push_vertex(Vec3::Y * y, n);
        let first = m.positions.len() as u32;
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            m.push_vertex(Vec3::new(libm::cosf(phi) * r, y, -libm::sinf(phi) * r), n);
        }
        for s in 0..segments {
            if n.y > 0.0 {
                m.indices.push([centre, first + s, first + s + 1]);
            } else {
                m.indices.push([centre, first + s + 1, first + s]);
            }
        }
    }
    m
}

pub fn capsule_mesh(radius: f32, height: f32, segments: u32) -> Mesh {
    let rings = segments / 2;
    let half = height * 0.5;
    let mut m = Mesh::default();
    // One sphere split at the equator, the halves pushed apart; the duplicate
    // equator row makes the straight part.
    for r in 0..=rings + 1 {
        let (ring, offset) = if r <= rings / 2 {
            (r, half)
        } else {
            (r - 1, -half)
        };
        let theta = std::f32::consts::PI * ring as f32 / rings as f32;
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            let n = Vec3::new(
                libm::sinf(theta) * libm::cosf(phi),
                libm::cosf(theta),
                -libm::sinf(theta) * libm::sinf(phi),
            );
            m.push_vertex(n * radius + Vec3::Y * offset, n);
        }
    }
    grid_indices(&mut m, 0, rings + 1, segments);
    m
}

pub fn torus_mesh(major: f32, minor: f32, segments: u32, sides: u32) -> Mesh {
    let mut m = Mesh::default();
    for s in 0..=segments {
        let phi = std::f32::consts::TAU * s as f32 / segments as f32;
        let dir = Vec3::new(libm::cosf(phi), 0.0, -libm::sinf(phi));
        for k in 0..=sides {
            let theta = std::f32::consts::TAU * k as f32 / sides as f32;
            let n = dir * libm::cosf(theta) + Vec3::Y * libm::sinf(theta);
            m.push_vertex(dir * major + n * minor, n);
        }
    }
    grid_indices(&mut m, 0, segments, sides);
    m
}

/// Revolves a profile of (radius, height) points around Y. Ends that do not
/// touch the axis are closed with caps so the result is solid.
pub fn lathe(profile: &[Vec2], segments: u32) -> Mesh {
    let mut m = Mesh::default();
    let rows = profile.len() as u32;
    for s in 0..=segments {
        let phi = std::f32::consts::TAU * s as f32 / segments as f32;
        let (c, sn) = (libm::cosf(phi), libm::sinf(phi));
        for p in profile {
            m.push_vertex(Vec3::new(p.x * c, p.y, -p.x * sn), Vec3::ZERO);
        }
    }
    // Rows of the vertex grid are the revolution steps; a profile running
    // bottom to top must wind so faces point away from the axis.
    let stride = rows;
    for s in 0..segments {
        for r in 0..rows.saturating_sub(1) {
            let a = s * stride + r;
            let b = a + stride;
            m.indices.push([a, b, b + 1]);
            m.indices.push([a, b + 1, a + 1]);
        }
    }
    let mut caps = Mesh::default();
    let last = profile.len() - 1;
    // The higher end's cap faces up, whichever way the profile runs.
    let first_is_top = profile[0].y > profile[last].y;
    for (end, facing_up) in [(0usize, first_is_top), (last, !first_is_top)] {
        let p = profile[end];
        if p.x.abs() < 1e-6 {
            continue;
        }
        let n = if facing_up { Vec3::Y } else { Vec3::NEG_Y };
        let centre = caps.push_vertex(Vec3::new(0.0, p.y, 0.0), n);
        let first = caps.positions.len() as u32;
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            caps.push_vertex(
                Vec3::new(p.x * libm::cosf(phi), p.y, -p.x * libm::sinf(phi)),
                n,
            );
        }
        for s in 0..segments {
            if facing_up {
                caps.indices.push([centre, first + s, first + s + 1]);
            } else {
                caps.indices.push([centre, first + s + 1, first + s]);
            }
        }
    }
    orient_outwards(&mut m);
    m.recompute_normals();
    m.append(caps);
    m
}

/// Flips all triangles if the mesh's signed volume is negative, so builders
/// need not care which way the user wound a profile.
fn orient_outwards(m: &mut Mesh) {
    let volume: f32 = m
        .indices
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| m.positions[i as usize]);
            a.dot(b.cross(c))
        })
        .sum();
    if volume < 0.0 {
        for t in &mut m.indices {
            t.swap(1, 2);
        }
    }
}

/// Why a polygon could not be triangulated.
#[derive(Debug, Clone, PartialEq)]
pub struct TriangulationError(pub String);

impl std::fmt::Display for TriangulationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Twice the signed area (positive when counter-clockwise).
fn signed_area2(ring: &[Vec2]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x as f64 * b.y as f64 - b.x as f64 * a.y as f64
        })
        .sum()
}

/// Triangulates a simple polygon (either winding); see
/// [`triangulate_with_holes`].
pub fn triangulate(poly: &[Vec2]) -> Result<Vec<[u32; 3]>, TriangulationError> {
    triangulate_with_holes(poly, &[])
}

/// Triangulates a polygon with holes (earcut). Indices run over the outline's
/// points, then each hole's in order; triangles are counter-clockwise.
/// A degenerate polygon, or one whose triangles do not cover its area (it
/// crosses itself, or a hole pokes out of it), is an error rather than a
/// partial result.
pub fn triangulate_with_holes(
    outline: &[Vec2],
    holes: &[Vec<Vec2>],
) -> Result<Vec<[u32; 3]>, TriangulationError> {
    if outline.len() < 3 {
        return Err(TriangulationError(format!(
            "an outline needs at least 3 points, got {}",
            outline.len()
        )));
    }
    if let Some((i, h)) = holes.iter().enumerate().find(|(_, h)| h.len() < 3) {
        return Err(TriangulationError(format!(
            "hole {i} needs at least 3 points, got {}",
            h.len()
        )));
    }
    let area = signed_area2(outline).abs();
    if area.is_nan() || area <= 1e-12 {
        return Err(TriangulationError(
            "the outline encloses no area (all points on a line?)".into(),
        ));
    }
    let mut points: Vec<[f64; 2]> = outline.iter().map(|p| [p.x as f64, p.y as f64]).collect();
    let mut hole_starts = Vec::with_capacity(holes.len());
    for h in holes {
        hole_starts.push(points.len() as u32);
        points.extend(h.iter().map(|p| [p.x as f64, p.y as f64]));
    }
    if points.iter().flatten().any(|v| !v.is_finite()) {
        return Err(TriangulationError("a point is not a finite number".into()));
    }
    let mut flat: Vec<u32> = Vec::new();
    earcut::Earcut::new().earcut(points.iter().copied(), &hole_starts, &mut flat);
    if flat.is_empty() {
        return Err(TriangulationError(
            "the outline could not be triangulated (it crosses itself or is degenerate)".into(),
        ));
    }
    // earcut clips what it can; a triangulation whose area differs from the
    // polygon's means the polygon was not simple.
    let deviation = earcut::deviation(points.iter().copied(), &hole_starts, &flat);
    if deviation.is_nan() || deviation > 1e-6 {
        return Err(TriangulationError(format!(
            "the outline could not be triangulated: it crosses itself, or a hole overlaps \
             the outline or another hole (triangles cover {:.1} % off its area)",
            deviation * 100.0
        )));
    }
    let tris = flat
        .chunks_exact(3)
        .map(|t| {
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| points[i as usize]);
            let cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            if cross < 0.0 {
                [t[0], t[2], t[1]]
            } else {
                [t[0], t[1], t[2]]
            }
        })
        .collect();
    Ok(tris)
}

/// Extrudes a 2D outline in the XZ plane (x, z) upwards by `height`.
pub fn extrude(outline: &[Vec2], height: f32) -> Result<Mesh, TriangulationError> {
    extrude_with_holes(outline, &[], height)
}

/// Extrudes an outline with holes (through-openings: windows, rings,
/// frames) upwards by `height`.
pub fn extrude_with_holes(
    outline: &[Vec2],
    holes: &[Vec<Vec2>],
    height: f32,
) -> Result<Mesh, TriangulationError> {
    let tris = triangulate_with_holes(outline, holes)?;
    let rings: Vec<&[Vec2]> = std::iter::once(outline)
        .chain(holes.iter().map(Vec::as_slice))
        .collect();
    let mut m = Mesh::default();
    // Caps: outline (x, y) maps to world (x, -z) so a CCW outline seen from
    // above stays CCW.
    let to3 = |p: Vec2, y: f32| Vec3::new(p.x, y, -p.y);
    for (y, normal) in [(height, Vec3::Y), (0.0, Vec3::NEG_Y)] {
        let base = m.positions.len() as u32;
        for p in rings.iter().flat_map(|r| r.iter()) {
            m.push_vertex(to3(*p, y), normal);
        }
        for t in &tris {
            if normal.y > 0.0 {
                m.indices.push([base + t[0], base + t[1], base + t[2]]);
            } else {
                m.indices.push([base + t[0], base + t[2], base + t[1]]);
            }
        }
    }
    // Walls, with their own vertices so edges stay sharp. Material lies to
    // the left of an edge walked counter-clockwise round the outline and
    // clockwise round a hole, so each wall faces the other way.
    for (k, ring) in rings.iter().enumerate() {
        let ccw = signed_area2(ring) > 0.0;
        let material_left = if k == 0 { ccw } else { !ccw };
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let d = b - a;
            let right = if material_left {
                Vec2::new(d.y, -d.x)
            } else {
                Vec2::new(-d.y, d.x)
            };
            let outward = to3(right, 0.0).try_normalize().unwrap_or(Vec3::X);
            let (a0, b0, a1, b1) = (to3(a, 0.0), to3(b, 0.0), to3(a, height), to3(b, height));
            let base = m.positions.len() as u32;
            for p in [a0, b0, b1, a1] {
                m.push_vertex(p, outward);
            }
            let face = (b0 - a0).cross(b1 - a0);
            if face.dot(outward) >= 0.0 {
                m.indices.push([base, base + 1, base + 2]);
                m.indices.push([base, base + 2, base + 3]);
            } else {
                m.indices.push([base, base + 2, base + 1]);
                m.indices.push([base, base + 3, base + 2]);
            }
        }
    }
    orient_outwards(&mut m);
    Ok(m)
}

/// Sweeps a closed 2D cross-section along a 3D path (rotation-minimising
/// frames), closing both ends. `scales` optionally tapers it along the path.
pub fn sweep(section: &[Vec2], path: &[Vec3], scales: &[f32]) -> Result<Mesh, TriangulationError> {
    let tris = triangulate(section)?;
    let mut m = Mesh::default();
    let k = section.len() as u32;
    let mut normal_ref = {
        let t = (path[1] - path[0]).normalize_or(Vec3::Y);
        let up = if t.y.abs() > 0.9 { Vec3::X } else { Vec3::Y };
        t.cross(up).normalize()
    };
    let mut frames = Vec::with_capacity(path.len());
    for i in 0..path.len() {
        let t = if i == 0 {
            path[1] - path[0]
        } else if i == path.len() - 1 {
            path[i] - path[i - 1]
        } else {
            path[i + 1] - path[i - 1]
        }
        .normalize_or(Vec3::Y);
        // Project the previous normal to stay perpendicular without twisting.
        normal_ref = (normal_ref - t * normal_ref.dot(t)).normalize_or(t.any_orthonormal_vector());
        let binormal = t.cross(normal_ref);
        frames.push((normal_ref, binormal));
    }
    for (i, p) in path.iter().enumerate() {
        let s = scales.get(i).copied().unwrap_or(1.0);
        let (n, b) = frames[i];
        for q in section {
            m.push_vertex(*p + (n * q.x + b * q.y) * s, Vec3::ZERO);
        }
    }
    for i in 0..path.len() as u32 - 1 {
        for j in 0..k {
            let a = i * k + j;
            let b = i * k + (j + 1) % k;
            let c = a + k;
            let d = b + k;
            m.indices.push([a, b, d]);
            m.indices.push([a, d, c]);
        }
    }
    let last = (path.len() as u32 - 1) * k;
    for t in &tris {
        m.indices.push([t[0], t[2], t[1]]);
        m.indices.push([last + t[0], last + t[1], last + t[2]]);
    }
    orient_outwards(&mut m);
    m.recompute_normals();
    Ok(m)
}

pub fn heightfield_mesh(heights: &[f32], rows: usize, cols: usize, width: f32, depth: f32) -> Mesh {
    let mut m = Mesh::default();
    if rows < 2 || cols < 2 {
        return m;
    }
    for r in 0..rows {
        for c in 0..cols {
            let x = -width * 0.5 + width * c as f32 / (cols - 1) as f32;
            let z = -depth * 0.5 + depth * r as f32 / (rows - 1) as f32;
            m.push_vertex(Vec3::new(x, heights[r * cols + c], z), Vec3::Y);
        }
    }
    for r in 0..rows as u32 - 1 {
        for c in 0..cols as u32 - 1 {
            let a = r * cols as u32 + c;
            let b = a + cols as u32;
            m.indices.push([a, b, b + 1]);
            m.indices.push([a, b + 1, a + 1]);
        }
    }
    m.recompute_normals();
    m
}

/// A material band on terrain: where the ground is steep enough and high
/// enough, its colour covers the base colour (rock on cliffs, snow on
/// peaks, sand by the water). Bands are laid in order, later over earlier.
#[derive(Debug, Clone, PartialEq)]
pub struct TerrainLayer {
    /// Linear rgb.
    pub color: Vec3,
    /// Slope range in degrees from horizontal.
    pub slope: [f32; 2],
    /// Height range in metres, in the terrain's own frame.
    pub height: [f32; 2],
    /// Width of the soft edge: a share of each range (0 hard, 1 very soft).
    pub blend: f32,
    /// How much seeded noise breaks up the band's edges (0..1).
    pub noise: f32,
}

/// Per-vertex coverage of the terrain layers over the base colour, or no
/// colours at all when there are no layers.
pub fn terrain_colors(mesh: &Mesh, layers: &[TerrainLayer]) -> Vec<[f32; 4]> {
    if layers.is_empty() {
        return Vec::new();
    }
    mesh.positions
        .iter()
        .zip(&mesh.normals)
        .map(|(p, n)| {
            let slope = n.y.clamp(-1.0, 1.0).acos().to_degrees();
            // Premultiplied colour and coverage, composited layer over layer.
            let (mut c, mut a) = (Vec3::ZERO, 0.0f32);
            for (i, l) in layers.iter().enumerate() {
                let jitter = (value_noise(p.x * 0.35 + i as f32 * 7.3, p.z * 0.35) - 0.5)
                    + 0.5 * (value_noise(p.x * 1.3, p.z * 1.3 + i as f32 * 3.1) - 0.5);
                let w = band(
                    slope + jitter * l.noise * 12.0,
                    l.slope,
                    l.blend,
                    SLOPE_SPAN,
                ) * band(
                    p.y + jitter * l.noise * 0.5 * span(l.height, HEIGHT_SPAN),
                    l.height,
                    l.blend,
                    HEIGHT_SPAN,
                );
                c = c * (1.0 - w) + l.color * w;
                a = a * (1.0 - w) + w;
            }
            let rgb = if a > 1e-6 { c / a } else { Vec3::ZERO };
            [rgb.x, rgb.y, rgb.z, a]
        })
        .collect()
}

/// The widest a band's soft edge reaches, as the range it is a share of:
/// a snowline or a shore stays a line a few metres wide, not a gradient
/// over the whole mountain, however wide (or open-ended) the band is.
const SLOPE_SPAN: f32 = 20.0;
const HEIGHT_SPAN: f32 = 2.0;

/// A range's width for softening its edges, at most `cap`: open-ended
/// ranges (given as huge numbers) soften like a range of `cap`.
fn span(r: [f32; 2], cap: f32) -> f32 {
    (r[1] - r[0]).abs().min(cap)
}

/// 1 inside [lo, hi], falling smoothly to 0 over `blend` of the range's
/// width (at least a little) across each edge.
fn band(x: f32, [lo, hi]: [f32; 2], blend: f32, cap: f32) -> f32 {
    let soft = (span([lo, hi], cap) * blend.clamp(0.0, 1.0)).max(1e-3);
    let rise = smoothstep(lo - soft, lo + soft, x);
    let fall = 1.0 - smoothstep(hi - soft, hi + soft, x);
    rise * fall
}

fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Smooth hash noise in [0, 1], the same on every machine (integer hash).
fn value_noise(x: f32, z: f32) -> f32 {
    let (xi, zi) = (x.floor(), z.floor());
    let (fx, fz) = (x - xi, z - zi);
    let h = |a: f32, b: f32| {
        let mut v = (a as i32 as u32).wrapping_mul(0x8da6_b343)
            ^ (b as i32 as u32).wrapping_mul(0xd816_3841);
        v ^= v >> 13;
        v = v.wrapping_mul(0x5bd1_e995);
        v ^= v >> 15;
        (v & 0xffff) as f32 / 65535.0
    };
    let (sx, sz) = (fx * fx * (3.0 - 2.0 * fx), fz * fz * (3.0 - 2.0 * fz));
    let top = h(xi, zi) + (h(xi + 1.0, zi) - h(xi, zi)) * sx;
    let bottom = h(xi, zi + 1.0) + (h(xi + 1.0, zi + 1.0) - h(xi, zi + 1.0)) * sx;
    top + (bottom - top) * sz
}

/// The longest triangle edge of a mesh, metres.
pub fn longest_edge(mesh: &Mesh) -> f32 {
    mesh.indices
        .iter()
        .flat_map(|t| {
            let [a, b, c] = t.map(|i| mesh.positions[i as usize]);
            [a.distance(b), b.distance(c), c.distance(a)]
        })
        .fold(0f32, f32::max)
}

/// Splits every triangle into four until no edge is longer than
/// `max_edge` or the next split would pass `max_triangles`, so that vertex
/// animation (waves) has vertices to move. Shared edges share their new
/// vertex, so the surface stays closed.
pub fn subdivide(mesh: &Mesh, max_edge: f32, max_triangles: usize) -> Mesh {
    let mut m = mesh.clone();
    if max_edge.is_nan() || max_edge <= 0.0 {
        return m;
    }
    let has_colors = m.colors.len() == m.positions.len() && !m.colors.is_empty();
    loop {
        if longest_edge(&m) <= max_edge || m.indices.len() * 4 > max_triangles {
            return m;
        }
        let mut mids: std::collections::HashMap<(u32, u32), u32> = Default::default();
        let mut next = Vec::with_capacity(m.indices.len() * 4);
        let mut mid = |m: &mut Mesh, a: u32, b: u32| -> u32 {
            let key = (a.min(b), a.max(b));
            *mids.entry(key).or_insert_with(|| {
                let (ia, ib) = (a as usize, b as usize);
                let p = (m.positions[ia] + m.positions[ib]) * 0.5;
                let n = (m.normals[ia] + m.normals[ib]).normalize_or(m.normals[ia]);
                if has_colors {
                    let (ca, cb) = (m.colors[ia], m.colors[ib]);
                    m.colors
                        .push(std::array::from_fn(|k| (ca[k] + cb[k]) * 0.5));
                }
                m.push_vertex(p, n)
            })
        };
        for t in std::mem::take(&mut m.indices) {
            let [a, b, c] = t;
            let (ab, bc, ca) = (mid(&mut m, a, b), mid(&mut m, b, c), mid(&mut m, c, a));
            next.extend([[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]]);
        }
        m.indices = next;
    }
}

/// Bilinear height of a heightfield at local (x, z), or None outside it.
pub fn heightfield_height(
    heights: &[f32],
    rows: usize,
    cols: usize,
    width: f32,
    depth: f32,
    x: f32,
    z: f32,
) -> Option<f32> {
    let u = (x / width + 0.5) * (cols - 1) as f32;
    let v = (z / depth + 0.5) * (rows - 1) as f32;
    if !(0.0..=(cols - 1) as f32).contains(&u) || !(0.0..=(rows - 1) as f32).contains(&v) {
        return None;
    }
    let (c0, r0) = ((u as usize).min(cols - 2), (v as usize).min(rows - 2));
    let (fu, fv) = (u - c0 as f32, v - r0 as f32);
    let h = |r: usize, c: usize| heights[r * cols + c];
    let top = h(r0, c0) * (1.0 - fu) + h(r0, c0 + 1) * fu;
    let bottom = h(r0 + 1, c0) * (1.0 - fu) + h(r0 + 1, c0 + 1) * fu;
    Some(top * (1.0 - fv) + bottom * fv)
}

/// Rotation taking +Y to `dir`, for orienting meshes along a direction.
pub fn rotation_from_y(dir: Vec3) -> Quat {
    Quat::from_rotation_arc(Vec3::Y, dir.normalize_or(Vec3::Y))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ramp: flat for x < 0, rising at 45 degrees for x > 0.
    fn ramp() -> Mesh {
        let (rows, cols) = (9, 17);
        let heights: Vec<f32> = (0..rows * cols)
            .map(|i| {
                let x = (i % cols) as f32 - 8.0;
                x.max(0.0)
            })
            .collect();
        heightfield_mesh(&heights, rows, cols, 16.0, 8.0)
    }

    #[test]
    fn terrain_bands_follow_slope_and_height() {
        let m = ramp();
        let rock = TerrainLayer {
            color: Vec3::new(0.3, 0.3, 0.3),
            slope: [30.0, 90.0],
            height: [-1e4, 1e4],
            blend: 0.1,
            noise: 0.0,
        };
        let snow = TerrainLayer {
            color: Vec3::ONE,
            slope: [0.0, 90.0],
            height: [6.0, 1e4],
            blend: 0.05,
            noise: 0.0,
        };
        let colors = terrain_colors(&m, &[rock, snow]);
        assert_eq!(colors.len(), m.positions.len());
        let at = |x: f32, z: f32| {
            let i = m
                .positions
                .iter()
                .position(|p| (p.x - x).abs() < 1e-3 && (p.z - z).abs() < 1e-3)
                .unwrap();
            colors[i]
        };
        // Flat ground keeps the base colour; the slope is rock; its top is snow.
        assert!(at(-6.0, 0.0)[3] < 0.01, "{:?}", at(-6.0, 0.0));
        let mid = at(3.0, 0.0);
        assert!(mid[3] > 0.99 && (mid[0] - 0.3).abs() < 1e-3, "{mid:?}");
        let top = at(7.0, 0.0);
        assert!(top[3] > 0.99 && top[0] > 0.95, "{top:?}");
        assert!(terrain_colors(&m, &[]).is_empty());
    }

    #[test]
    fn noise_breaks_up_band_edges_the_same_way_every_time() {
        let m = ramp();
        let layer = |noise| TerrainLayer {
            color: Vec3::ONE,
            slope: [0.0, 90.0],
            height: [3.0, 1e4],
            blend: 0.1,
            noise,
        };
        let plain = terrain_colors(&m, &[layer(0.0)]);
        let noisy = terrain_colors(&m, &[layer(1.0)]);
        assert_ne!(plain, noisy);
        assert_eq!(noisy, terrain_colors(&m, &[layer(1.0)]));
    }

    #[test]
    fn subdivision_shortens_edges_and_keeps_the_surface() {
        let cube = tessellate(&Shape::Box {
            size: Vec3::new(2.0, 1.0, 4.0),
        });
        let fine = subdivide(&cube, 0.6, 100_000);
        let longest = longest_edge(&fine);
        assert!(longest <= 0.6, "longest edge {longest}");
        assert!(fine.indices.len() > cube.indices.len() * 16);
        assert!((signed_volume(&fine) - signed_volume(&cube)).abs() < 1e-3);
        // The budget caps the splitting.
        let capped = subdivide(&cube, 0.01, 2_000);
        assert!(capped.indices.len() <= 2_000);
        assert!(capped.indices.len() > 500);
    }

    fn signed_volume(m: &Mesh) -> f32 {
        m.indices
            .iter()
            .map(|t| {
                let [a, b, c] = t.map(|i| m.positions[i as usize]);
                a.dot(b.cross(c)) / 6.0
            })
            .sum()
    }

    #[test]
    fn closed_primitives_have_their_volume_and_face_out() {
        let b = box_mesh(Vec3::new(1.0, 2.0, 3.0));
        assert!((signed_volume(&b) - 6.0).abs() < 1e-4);
        let s = sphere_mesh(1.0, 64, 32);
        let exact = 4.0 / 3.0 * std::f32::consts::PI;
        assert!((signed_volume(&s) - exact).abs() / exact < 0.02);
        let c = cylinder_mesh(1.0, 1.0, 2.0, 64);
        assert!((signed_volume(&c) - std::f32::consts::TAU).abs() < 0.05);
        let t = torus_mesh(2.0, 0.5, 64, 32);
        let exact_t = 2.0 * std::f32::consts::PI * std::f32::consts::PI * 2.0 * 0.25;
        assert!((signed_volume(&t) - exact_t).abs() / exact_t < 0.02);
    }

    #[test]
    fn lathe_of_a_cup_profile_is_closed_and_outward() {
        let profile = [
            Vec2::new(0.0, 0.0),
            Vec2::new(0.4, 0.0),
            Vec2::new(0.5, 1.0),
            Vec2::new(0.45, 1.0),
        ];
        let m = lathe(&profile, 24);
        assert!(signed_volume(&m) > 0.0);
        // Reversing the profile gives the same solid.
        let rev: Vec<Vec2> = profile.iter().rev().copied().collect();
        assert!((signed_volume(&lathe(&rev, 24)) - signed_volume(&m)).abs() < 1e-3);
    }

    #[test]
    fn extrusion_and_triangulation_of_a_concave_outline() {
        let l_shape = [
            Vec2::new(0.0, 0.0),
            Vec2::new(2.0, 0.0),
            Vec2::new(2.0, 1.0),
            Vec2::new(1.0, 1.0),
            Vec2::new(1.0, 2.0),
            Vec2::new(0.0, 2.0),
        ];
        assert_eq!(triangulate(&l_shape).unwrap().len(), 4);
        let mut cw = l_shape;
        cw.reverse();
        for outline in [&l_shape, &cw] {
            let m = extrude(outline, 0.5).unwrap();
            assert!(
                (signed_volume(&m) - 1.5).abs() < 1e-4,
                "{}",
                signed_volume(&m)
            );
        }
    }

    fn square(c: Vec2, half: f32) -> Vec<Vec2> {
        [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
            .into_iter()
            .map(|(x, y)| c + Vec2::new(x, y) * half)
            .collect()
    }

    #[test]
    fn holes_are_cut_through_and_their_walls_face_into_them() {
        let outer = square(Vec2::ZERO, 1.0);
        let hole = square(Vec2::new(0.2, 0.0), 0.25);
        let tris = triangulate_with_holes(&outer, std::slice::from_ref(&hole)).unwrap();
        let area: f32 = tris
            .iter()
            .map(|t| {
                let p = |i: u32| {
                    if (i as usize) < 4 {
                        outer[i as usize]
                    } else {
                        hole[i as usize - 4]
                    }
                };
                let (a, b, c) = (p(t[0]), p(t[1]), p(t[2]));
                let cross = (b - a).perp_dot(c - a);
                assert!(cross > 0.0, "triangles are counter-clockwise");
                cross / 2.0
            })
            .sum();
        assert!((area - (4.0 - 0.25)).abs() < 1e-5, "{area}");
        // A hole given either way round gives the same solid.
        let mut reversed = hole.clone();
        reversed.reverse();
        for h in [hole, reversed] {
            let m = extrude_with_holes(&outer, &[h], 2.0).unwrap();
            assert!(
                (signed_volume(&m) - 3.75 * 2.0).abs() < 1e-3,
                "{}",
                signed_volume(&m)
            );
            // The hole's walls are inside the outline and face its centre.
            for (p, n) in m.positions.iter().zip(&m.normals) {
                if n.y == 0.0 && p.x.abs() < 0.9 && p.z.abs() < 0.9 {
                    let to_centre = Vec3::new(0.2 - p.x, 0.0, -p.z);
                    assert!(n.dot(to_centre) > 0.0, "wall at {p} faces {n}");
                }
            }
        }
    }

    #[test]
    fn a_failed_triangulation_is_an_error_not_a_partial_mesh() {
        let line = [Vec2::ZERO, Vec2::X, Vec2::X * 2.0];
        assert!(triangulate(&line).is_err());
        assert!(triangulate(&line[..2]).is_err());
        // A bow tie crosses itself: no triangulation covers it.
        let bow_tie = [
            Vec2::new(0.0, 0.0),
            Vec2::new(2.0, 2.0),
            Vec2::new(2.0, 0.0),
            Vec2::new(0.0, 2.0),
        ];
        assert!(triangulate(&bow_tie).is_err());
        let crossed = [
            Vec2::new(0.0, 0.0),
            Vec2::new(3.0, 3.0),
            Vec2::new(3.0, 0.0),
            Vec2::new(0.0, 1.0),
        ];
        let e = triangulate(&crossed).unwrap_err();
        assert!(e.0.contains("crosses itself"), "{e}");
        // A hole bigger than the outline.
        let e = triangulate_with_holes(&square(Vec2::ZERO, 1.0), &[square(Vec2::ZERO, 3.0)]);
        assert!(e.is_err());
        assert!(extrude(&bow_tie, 1.0).is_err());
    }

    #[test]
    fn sweep_of_a_square_along_a_line_is_a_prism() {
        let square = [
            Vec2::new(-0.5, -0.5),
            Vec2::new(0.5, -0.5),
            Vec2::new(0.5, 0.5),
            Vec2::new(-0.5, 0.5),
        ];
        let path = [
            Vec3::ZERO,
            Vec3::new(0.0, 1.0, 0.0),
            Vec3::new(0.0, 2.0, 0.0),
        ];
        let m = sweep(&square, &path, &[]).unwrap();
        assert!(
            (signed_volume(&m) - 2.0).abs() < 1e-3,
            "{}",
            signed_volume(&m)
        );
    }

    #[test]
    fn heightfield_interpolates() {
        let h = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(
            heightfield_height(&h, 2, 2, 2.0, 2.0, -1.0, -1.0),
            Some(0.0)
        );
        assert_eq!(heightfield_height(&h, 2, 2, 2.0, 2.0, 1.0, 1.0), Some(3.0));
        assert_eq!(heightfield_height(&h, 2, 2, 2.0, 2.0, 0.0, 0.0), Some(1.5));
        assert_eq!(heightfield_height(&h, 2, 2, 2.0, 2.0, 3.0, 0.0), None);
    }
}
