//! A spatial hash built by counting sort, and the neighbour lists the fluid
//! solvers read. Both are flat arrays indexed by particle, rebuilt each
//! substep: the same shape a GPU compute pass would use (one pass counting
//! particles per cell, a prefix sum, one pass scattering indices).

use glam::Vec3;
use rayon::prelude::*;

pub struct SpatialHash {
    cell: f32,
    /// Start of each bucket in `sorted`; `table + 1` entries.
    starts: Vec<u32>,
    /// Particle indices ordered by bucket, by index within a bucket.
    sorted: Vec<u32>,
    bucket_of: Vec<u32>,
    /// When the points' bounds are small enough, buckets are the cells of
    /// a dense grid over them (x fastest) instead of hashed: no two cells
    /// share a bucket and a row of three cells is one run of `sorted`.
    grid: Option<Grid>,
}

#[derive(Clone, Copy)]
struct Grid {
    origin: [i32; 3],
    dims: [i32; 3],
}

/// Most cells a dense grid may have per point (beyond it, the hash).
const GRID_CELLS_PER_POINT: usize = 16;

impl Grid {
    /// The grid over the cells of `points`, if it is not too sparse.
    fn fit(points: &[Vec3], inv: f32) -> Option<Grid> {
        let mut lo = [i32::MAX; 3];
        let mut hi = [i32::MIN; 3];
        for p in points {
            let c = cell_coord(*p, inv);
            for k in 0..3 {
                lo[k] = lo[k].min(c[k]);
                hi[k] = hi[k].max(c[k]);
            }
        }
        if points.is_empty() {
            return None;
        }
        let dims = [0, 1, 2].map(|k| hi[k] as i64 - lo[k] as i64 + 1);
        let cells = dims.iter().try_fold(1i64, |a, d| a.checked_mul(*d))?;
        let limit = (points.len() * GRID_CELLS_PER_POINT).max(4096) as i64;
        (cells <= limit).then(|| Grid {
            origin: lo,
            dims: dims.map(|d| d as i32),
        })
    }

    fn cells(&self) -> usize {
        self.dims.iter().map(|d| *d as usize).product()
    }

    fn index(&self, c: [i32; 3]) -> usize {
        let [x, y, z] = [0, 1, 2].map(|k| (c[k] - self.origin[k]) as usize);
        (z * self.dims[1] as usize + y) * self.dims[0] as usize + x
    }
}

fn cell_coord(p: Vec3, inv: f32) -> [i32; 3] {
    let f = |x: f32| {
        let c = libm::floorf(x * inv);
        // Far-away or non-finite positions all land in one cell.
        if c.is_finite() {
            c.clamp(-1.0e9, 1.0e9) as i32
        } else {
            0
        }
    };
    [f(p.x), f(p.y), f(p.z)]
}

fn bucket(c: [i32; 3], table: usize) -> usize {
    let h = (c[0] as u32).wrapping_mul(73_856_093)
        ^ (c[1] as u32).wrapping_mul(19_349_663)
        ^ (c[2] as u32).wrapping_mul(83_492_791);
    // The table is a power of two: a mask, not a division, per lookup.
    h as usize & (table - 1)
}

impl Default for SpatialHash {
    fn default() -> Self {
        SpatialHash {
            cell: 1.0,
            starts: vec![0, 0],
            sorted: Vec::new(),
            bucket_of: Vec::new(),
            grid: None,
        }
    }
}

impl SpatialHash {
    /// Sorts `points` into cells of size `cell`.
    pub fn build(&mut self, points: &[Vec3], cell: f32) {
        let n = points.len();
        self.cell = cell.max(1e-6);
        let inv = 1.0 / self.cell;
        self.grid = Grid::fit(points, inv);
        let table = match &self.grid {
            Some(g) => g.cells(),
            None => (2 * n).max(64).next_power_of_two(),
        };
        self.starts.clear();
        self.starts.resize(table + 1, 0);
        self.bucket_of.clear();
        for p in points {
            let c = cell_coord(*p, inv);
            let b = match &self.grid {
                Some(g) => g.index(c),
                None => bucket(c, table),
            };
            self.bucket_of.push(b as u32);
            self.starts[b + 1] += 1;
        }
        for i in 0..table {
            self.starts[i + 1] += self.starts[i];
        }
        let mut fill: Vec<u32> = self.starts[..table].to_vec();
        self.sorted.clear();
        self.sorted.resize(n, 0);
        for (i, b) in self.bucket_of.iter().enumerate() {
            let slot = &mut fill[*b as usize];
            self.sorted[*slot as usize] = i as u32;
            *slot += 1;
        }
    }

    /// Calls `f` with every point index in the 27 cells around `p` (and
    /// possibly a few more that share their buckets), each once.
    pub fn around(&self, p: Vec3, mut f: impl FnMut(u32)) {
        let table = self.starts.len() - 1;
        let c = cell_coord(p, 1.0 / self.cell);
        if let Some(g) = &self.grid {
            // Cells outside the grid hold no points; rows of three along x
            // are one run each.
            let local = [0, 1, 2].map(|k| c[k] as i64 - g.origin[k] as i64);
            let within = |v: i64, k: usize| (0..g.dims[k] as i64).contains(&v);
            let x0 = (local[0] - 1).max(0);
            let x1 = (local[0] + 1).min(g.dims[0] as i64 - 1);
            if x0 > x1 {
                return;
            }
            for dz in -1..=1 {
                let z = local[2] + dz;
                if !within(z, 2) {
                    continue;
                }
                for dy in -1..=1 {
                    let y = local[1] + dy;
                    if !within(y, 1) {
                        continue;
                    }
                    let row = (z as usize * g.dims[1] as usize + y as usize) * g.dims[0] as usize;
                    let (a, b) = (row + x0 as usize, row + x1 as usize);
                    for &i in &self.sorted[self.starts[a] as usize..self.starts[b + 1] as usize] {
                        f(i);
                    }
                }
            }
            return;
        }
        let mut buckets = [0usize; 27];
        let mut k = 0;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    buckets[k] = bucket(
                        [
                            c[0].wrapping_add(dx),
                            c[1].wrapping_add(dy),
                            c[2].wrapping_add(dz),
                        ],
                        table,
                    );
                    k += 1;
                }
            }
        }
        // Two cells can share a bucket: visit each bucket once.
        buckets.sort_unstable();
        let mut last = usize::MAX;
        for b in buckets {
            if b == last {
                continue;
            }
            last = b;
            for &i in &self.sorted[self.starts[b] as usize..self.starts[b + 1] as usize] {
                f(i);
            }
        }
    }
}

/// Neighbours of every particle within a radius, in compressed rows:
/// particle i's are `list[offsets[i]..offsets[i + 1]]`, in ascending order.
#[derive(Default)]
pub struct Neighbours {
    pub offsets: Vec<u32>,
    pub list: Vec<u32>,
}

/// Particles per parallel block of the neighbour search; a body smaller
/// than this is searched on one thread.
const BLOCK: usize = 4096;

impl Neighbours {
    /// Finds, for each point, the others closer than `radius` (at most
    /// `cap` each, the nearest kept when there are more). Blocks of points
    /// are searched in parallel and joined in order, so the lists do not
    /// depend on the threads.
    pub fn build(&mut self, hash: &SpatialHash, points: &[Vec3], radius: f32, cap: usize) {
        let r2 = radius * radius;
        let blocks: Vec<(Vec<u32>, Vec<u32>)> = points
            .par_chunks(BLOCK)
            .enumerate()
            .map(|(b, block)| {
                let mut lens = Vec::with_capacity(block.len());
                let mut list = Vec::with_capacity(block.len() * 64);
                let mut scratch: Vec<u32> = Vec::new();
                let mut crowd: Vec<(f32, u32)> = Vec::new();
                for (k, p) in block.iter().enumerate() {
                    let i = b * BLOCK + k;
                    scratch.clear();
                    hash.around(*p, |j| {
                        if j as usize != i && points[j as usize].distance_squared(*p) < r2 {
                            scratch.push(j);
                        }
                    });
                    if scratch.len() > cap {
                        // Crowded (a compressed clump): keep the nearest,
                        // ties by index.
                        crowd.clear();
                        crowd.extend(
                            scratch
                                .iter()
                                .map(|&j| (points[j as usize].distance_squared(*p), j)),
                        );
                        crowd.select_nth_unstable_by(cap, |a, b| {
                            a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                        });
                        scratch.clear();
                        scratch.extend(crowd[..cap].iter().map(|x| x.1));
                    }
                    scratch.sort_unstable();
                    list.extend_from_slice(&scratch);
                    lens.push(scratch.len() as u32);
                }
                (lens, list)
            })
            .collect();
        self.offsets.clear();
        self.list.clear();
        self.offsets.push(0);
        for (lens, list) in blocks {
            let base = self.list.len() as u32;
            let mut at = 0u32;
            for l in lens {
                at += l;
                self.offsets.push(base + at);
            }
            self.list.extend_from_slice(&list);
        }
    }

    pub fn of(&self, i: usize) -> &[u32] {
        &self.list[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points from a seeded generator, in a cube of side `side`.
    fn points(seed: u32, count: usize, side: f32) -> Vec<Vec3> {
        let mut s = seed;
        let mut r = || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (s >> 8) as f32 / (1 << 24) as f32
        };
        (0..count)
            .map(|_| Vec3::new(r(), r(), r()) * side)
            .collect()
    }

    /// The lists of every `stride`th point equal a search of all points.
    fn assert_lists_match_brute_force(n: &Neighbours, pts: &[Vec3], radius: f32, stride: usize) {
        for i in (0..pts.len()).step_by(stride) {
            let brute: Vec<u32> = (0..pts.len() as u32)
                .filter(|&j| {
                    j as usize != i && pts[j as usize].distance_squared(pts[i]) < radius * radius
                })
                .collect();
            assert_eq!(n.of(i), brute.as_slice(), "particle {i}");
        }
    }

    #[test]
    fn neighbours_match_brute_force() {
        let pts = points(12345, 500, 0.5);
        let mut h = SpatialHash::default();
        h.build(&pts, 0.05);
        let mut n = Neighbours::default();
        n.build(&h, &pts, 0.05, 1000);
        assert_lists_match_brute_force(&n, &pts, 0.05, 1);
    }

    /// Several parallel blocks join into the same lists one block would give.
    #[test]
    fn blocks_join_in_order() {
        let pts = points(777, 3 * BLOCK + 17, 1.0);
        let mut h = SpatialHash::default();
        h.build(&pts, 0.06);
        let mut n = Neighbours::default();
        n.build(&h, &pts, 0.06, 1000);
        assert_eq!(n.offsets.len(), pts.len() + 1);
        assert_lists_match_brute_force(&n, &pts, 0.06, 97);
    }

    /// A point far from the rest makes the dense grid too sparse: the
    /// hashed buckets take over and give the same lists.
    #[test]
    fn sparse_points_fall_back_to_the_hash_with_the_same_lists() {
        let mut pts = points(4242, 400, 0.4);
        pts.push(Vec3::new(900.0, -40.0, 7.0));
        pts.push(Vec3::new(f32::NAN, 0.0, 0.0));
        let mut h = SpatialHash::default();
        h.build(&pts, 0.05);
        assert!(h.grid.is_none(), "a 900 m spread must not get a dense grid");
        let mut n = Neighbours::default();
        n.build(&h, &pts, 0.05, 1000);
        assert_lists_match_brute_force(&n, &pts, 0.05, 1);
        // Without the outliers the grid is used.
        pts.truncate(400);
        h.build(&pts, 0.05);
        assert!(h.grid.is_some());
    }
}
