//! The analysis buffers rendered beside each image, with the helpers the
//! critic and the tests use. Images themselves are [`crate::video::RgbaImage`].

/// What each pixel sees: which entity and how far away.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub width: u32,
    pub height: u32,
    /// Entity index + 1 per pixel, 0 where no entity is seen.
    pub ids: Vec<u32>,
    /// Distance from the camera to the surface seen, metres; infinite where
    /// no entity is seen.
    pub depth: Vec<f32>,
    /// Whether the surface seen is the back (inside) of its entity.
    pub backfacing: Vec<bool>,
}

impl Analysis {
    pub fn pixels(&self) -> usize {
        self.ids.len()
    }

    /// Fraction of the image covered by entity `index`.
    pub fn coverage(&self, index: usize) -> f32 {
        let want = index as u32 + 1;
        let n = self.ids.iter().filter(|&&id| id == want).count();
        n as f32 / self.pixels().max(1) as f32
    }

    /// (entity index, pixel count) of every entity seen, most pixels first.
    pub fn visible_entities(&self) -> Vec<(usize, usize)> {
        let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
        for &id in &self.ids {
            if id > 0 {
                *counts.entry(id).or_default() += 1;
            }
        }
        let mut out: Vec<(usize, usize)> = counts
            .into_iter()
            .map(|(id, n)| (id as usize - 1, n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The entity the camera seems to be inside: the one whose inner side
    /// fills more than half of the image. (Inside a closed shape every
    /// direction sees its back faces; below a ground plane, its underside.)
    pub fn camera_inside(&self) -> Option<usize> {
        let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
        for (&id, &back) in self.ids.iter().zip(&self.backfacing) {
            if id > 0 && back {
                *counts.entry(id).or_default() += 1;
            }
        }
        let half = self.pixels() / 2;
        counts
            .into_iter()
            .filter(|&(_, n)| n > half)
            .max_by_key(|&(_, n)| n)
            .map(|(id, _)| id as usize - 1)
    }

    /// Pixel rectangle (x0, y0, x1, y1), inclusive, covered by an entity.
    pub fn bounding_rect(&self, index: usize) -> Option<(u32, u32, u32, u32)> {
        let want = index as u32 + 1;
        let w = self.width as usize;
        let mut rect: Option<(u32, u32, u32, u32)> = None;
        for (i, &id) in self.ids.iter().enumerate() {
            if id != want {
                continue;
            }
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            rect = Some(match rect {
                None => (x, y, x, y),
                Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
            });
        }
        rect
    }

    pub fn id_at(&self, x: u32, y: u32) -> u32 {
        self.ids[(y * self.width + x) as usize]
    }

    pub fn depth_at(&self, x: u32, y: u32) -> f32 {
        self.depth[(y * self.width + x) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_visibility_and_inside() {
        let a = Analysis {
            width: 4,
            height: 2,
            ids: vec![0, 1, 1, 2, 2, 2, 2, 2],
            depth: vec![f32::INFINITY, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0],
            backfacing: vec![false, false, false, true, true, true, true, true],
        };
        assert_eq!(a.coverage(0), 0.25);
        assert_eq!(a.visible_entities(), vec![(1, 5), (0, 2)]);
        assert_eq!(a.camera_inside(), Some(1));
        assert_eq!(a.bounding_rect(0), Some((1, 0, 2, 0)));
        assert_eq!(a.bounding_rect(7), None);
    }
}
