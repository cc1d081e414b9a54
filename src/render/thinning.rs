//! Distant foliage, thinned. A tree's crown is hundreds of small flat leaf
//! cards; far away each card covers a few pixels, yet every one still costs
//! vertex and triangle-setup work, which dominates a forest frame on a
//! software rasteriser. A mesh made mostly of such cards gets two lighter
//! versions at upload: every second card kept and grown by √2, and every
//! fourth grown by 2, so the crown covers about the same area. The planner
//! picks one by how many pixels a card spans on screen.
//!
//! Cards are found by connectivity (triangles sharing vertex positions),
//! so any script mesh qualifies, not only the stdlib's trees: a component
//! is a card when it is small (at most [`CARD_TRIANGLES`]) and flat.

use std::collections::HashMap;

use glam::Vec3;

use super::meshes::Vertex;

/// A component with more triangles than this is a solid piece, never
/// thinned.
const CARD_TRIANGLES: usize = 16;
/// Fewer cards than this: not foliage, nothing to gain.
const MIN_CARDS: usize = 24;
/// Share of the mesh's triangles that must be cards.
const CARD_SHARE: f32 = 0.9;
/// Below this many pixels per card the half version is drawn, below half
/// of it the quarter version. Grown cards then span at most √2 times this
/// (about 17 pixels), at that size a change of leaf density nobody sees.
pub const THIN_BELOW_PX: f32 = 12.0;

/// What the planner needs to choose a version: a typical card's size in
/// mesh units and the ids of the half and quarter versions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thinned {
    pub card_size: f32,
    pub ids: [u32; 2],
}

impl Thinned {
    /// The version to draw for cards `card_px` pixels across: 0 the full
    /// mesh, 1 half the cards, 2 a quarter.
    pub fn level(card_px: f32) -> usize {
        if !card_px.is_finite() || card_px >= THIN_BELOW_PX {
            0
        } else if card_px >= THIN_BELOW_PX / 2.0 {
            1
        } else {
            2
        }
    }
}

struct Component {
    triangles: Vec<usize>,
    centre: Vec3,
    card: bool,
    size: f32,
}

/// The mesh's cards, or None when it is not mostly cards.
pub struct Cards {
    components: Vec<Component>,
    /// The median card's size, and the largest (how far a grown card can
    /// reach past the full mesh's bounds).
    pub card_size: f32,
    pub largest: f32,
}

impl Cards {
    pub fn find(vertices: &[Vertex], indices: &[u32]) -> Option<Cards> {
        let triangles = indices.len() / 3;
        if triangles < MIN_CARDS {
            return None;
        }
        // Union-find over distinct positions: leaves are often flat-shaded
        // with their own copies of shared corners.
        let mut slot_of: HashMap<[u32; 3], usize> = HashMap::new();
        let slots: Vec<usize> = vertices
            .iter()
            .map(|v| {
                // -0.0 + 0.0 is +0.0: one key for both zeros.
                let key = v.position.map(|c| (c + 0.0).to_bits());
                let next = slot_of.len();
                *slot_of.entry(key).or_insert(next)
            })
            .collect();
        let mut parent: Vec<usize> = (0..slot_of.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for t in indices.chunks_exact(3) {
            let a = root(&mut parent, slots[t[0] as usize]);
            for &v in &t[1..] {
                let b = root(&mut parent, slots[v as usize]);
                if a != b {
                    parent[b] = a;
                }
            }
        }
        // Components in order of their first triangle, so thinning keeps
        // the same cards on every run.
        let mut index_of: HashMap<usize, usize> = HashMap::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (t, tri) in indices.chunks_exact(3).enumerate() {
            let r = root(&mut parent, slots[tri[0] as usize]);
            let g = *index_of.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(t);
        }
        let at = |i: u32| Vec3::from_array(vertices[i as usize].position);
        let components: Vec<Component> = groups
            .into_iter()
            .map(|tris| {
                let corners = || tris.iter().flat_map(|&t| &indices[t * 3..t * 3 + 3]);
                let n = (tris.len() * 3) as f32;
                let centre = corners().map(|&i| at(i)).sum::<Vec3>() / n;
                let normal: Vec3 = tris
                    .iter()
                    .map(|&t| {
                        let [a, b, c] = [0, 1, 2].map(|k| at(indices[t * 3 + k]));
                        (b - a).cross(c - a)
                    })
                    .sum();
                let size = 2.0
                    * corners()
                        .map(|&i| at(i).distance(centre))
                        .fold(0.0, f32::max);
                let flat = normal.try_normalize().is_some_and(|up| {
                    corners().all(|&i| (at(i) - centre).dot(up).abs() <= 0.02 * size + 1e-7)
                });
                Component {
                    card: flat && tris.len() <= CARD_TRIANGLES && size > 0.0,
                    triangles: tris,
                    centre,
                    size,
                }
            })
            .collect();
        let cards: Vec<f32> = components
            .iter()
            .filter(|c| c.card)
            .map(|c| c.size)
            .collect();
        let card_triangles: usize = components
            .iter()
            .filter(|c| c.card)
            .map(|c| c.triangles.len())
            .sum();
        if cards.len() < MIN_CARDS || (card_triangles as f32) < CARD_SHARE * triangles as f32 {
            return None;
        }
        let mut sizes = cards;
        sizes.sort_by(f32::total_cmp);
        Some(Cards {
            card_size: sizes[sizes.len() / 2],
            largest: sizes[sizes.len() - 1],
            components,
        })
    }

    /// Every `every`th card, grown by √every about its centre so the cards
    /// cover about the same area; other components kept as they are.
    pub fn thin(
        &self,
        vertices: &[Vertex],
        indices: &[u32],
        every: usize,
    ) -> (Vec<Vertex>, Vec<u32>) {
        let grow = (every as f32).sqrt();
        let mut out_vertices = Vec::new();
        let mut out_indices = Vec::new();
        let mut card = 0usize;
        for c in &self.components {
            let scale = if c.card {
                card += 1;
                if !(card - 1).is_multiple_of(every) {
                    continue;
                }
                grow
            } else {
                1.0
            };
            let mut moved: HashMap<u32, u32> = HashMap::new();
            for &t in &c.triangles {
                for &i in &indices[t * 3..t * 3 + 3] {
                    let new = *moved.entry(i).or_insert_with(|| {
                        let mut v = vertices[i as usize];
                        let p = Vec3::from_array(v.position);
                        v.position = (c.centre + (p - c.centre) * scale).to_array();
                        out_vertices.push(v);
                        (out_vertices.len() - 1) as u32
                    });
                    out_indices.push(new);
                }
            }
        }
        (out_vertices, out_indices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vertex(p: Vec3) -> Vertex {
        Vertex {
            position: p.to_array(),
            normal: [0.0, 0.0, 1.0],
            tint: [0; 4],
        }
    }

    /// `n` square cards of side `s` in a row, each two triangles with its
    /// own four corners.
    fn cards(n: usize, s: f32) -> (Vec<Vertex>, Vec<u32>) {
        let mut v = Vec::new();
        let mut i = Vec::new();
        for k in 0..n {
            let o = Vec3::new(k as f32 * 2.0 * s, 0.0, 0.0);
            let b = v.len() as u32;
            for c in [[0.0, 0.0], [s, 0.0], [s, s], [0.0, s]] {
                v.push(vertex(o + Vec3::new(c[0], c[1], 0.0)));
            }
            i.extend([b, b + 1, b + 2, b, b + 2, b + 3]);
        }
        (v, i)
    }

    fn area(v: &[Vertex], i: &[u32]) -> f32 {
        i.chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| Vec3::from_array(v[t[k] as usize].position));
                (b - a).cross(c - a).length() / 2.0
            })
            .sum()
    }

    #[test]
    fn thinning_halves_and_quarters_the_cards_and_keeps_their_area() {
        let (v, i) = cards(100, 0.3);
        let found = Cards::find(&v, &i).expect("100 flat cards are foliage");
        assert!((found.card_size - 0.3 * 2f32.sqrt()).abs() < 1e-4);
        assert!(
            (found.largest - found.card_size).abs() < 1e-4,
            "all cards are alike"
        );
        let full = area(&v, &i);
        for (every, want) in [(2, 50), (4, 25)] {
            let (tv, ti) = found.thin(&v, &i, every);
            assert_eq!(ti.len() / 6, want, "cards kept for every {every}");
            assert_eq!(tv.len(), want * 4);
            let kept = area(&tv, &ti);
            assert!((kept / full - 1.0).abs() < 0.01, "area {kept} vs {full}");
        }
    }

    #[test]
    fn solid_or_few_pieces_are_not_thinned() {
        // A closed sphere: one component of many triangles.
        let m = crate::world::mesh::tessellate(&crate::world::Shape::Sphere { radius: 1.0 });
        let (v, i, _) = super::super::meshes::clean(&m).unwrap();
        assert!(Cards::find(&v, &i).is_none());
        // Too few cards.
        let (v, i) = cards(MIN_CARDS - 1, 0.3);
        assert!(Cards::find(&v, &i).is_none());
        // Bent cards (a corner lifted off the plane) are not cards.
        let (mut v, i) = cards(40, 0.3);
        for k in 0..40 {
            v[k * 4 + 2].position[2] = 0.2;
        }
        assert!(Cards::find(&v, &i).is_none());
    }

    #[test]
    fn near_cards_stay_full_and_far_ones_thin() {
        assert_eq!(Thinned::level(40.0), 0);
        assert_eq!(Thinned::level(THIN_BELOW_PX), 0);
        assert_eq!(Thinned::level(THIN_BELOW_PX * 0.7), 1);
        assert_eq!(Thinned::level(THIN_BELOW_PX * 0.3), 2);
        assert_eq!(Thinned::level(f32::NAN), 0);
    }
}
