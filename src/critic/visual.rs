//! Visual checks on what the camera saw: the subject visible and large
//! enough, the camera not inside geometry, no black or blown-out frames,
//! motion where dynamics are expected, no flicker.
//!
//! It reads plain buffers (RGBA pixels, per-pixel entity ids, depth in
//! metres), so it works with any renderer that can fill them.

use std::collections::BTreeMap;

use super::finding::{Category, Finding, Severity};
use crate::world::{EntityId, World};

/// One analysed keyframe: an entity-id pass (entity index + 1, 0 = nothing)
/// and a depth pass (metres from the camera), same size.
pub struct Analysed<'a> {
    pub index: u64,
    pub time: f64,
    pub width: u32,
    pub height: u32,
    pub ids: &'a [u32],
    pub depth: &'a [f32],
    /// Whether each pixel sees the back (inside) of its entity.
    pub backfacing: &'a [bool],
    /// The entity whose inside fills the view, when the renderer saw its
    /// back faces (a closed shape or the underside of the ground).
    pub inside: Option<usize>,
}

/// What the scene is about: one entity, or a group of copies (ten pins)
/// judged together.
#[derive(Debug, Clone)]
pub struct Subject {
    pub name: String,
    pub members: Vec<EntityId>,
    /// The least share of the frame it must fill at its biggest: a prop
    /// may be small, a forest the scene is about may not be a clump on the
    /// horizon.
    pub least_share: f32,
    /// The brief's subject: a speck of it is an error (nobody sees the
    /// rolling bottle), of a prop only a warning.
    pub main: bool,
    /// The brief calls it background: seen once is enough (a push-in from
    /// the room to the cup leaves the bed behind).
    pub background: bool,
}

/// What any subject must fill at least: not a speck.
pub const SPECK_SHARE: f32 = 0.002;
/// What a landscape-sized subject (a forest) must fill at least.
pub const LANDSCAPE_SHARE: f32 = 0.10;

/// A keyframe's look at the scene's own pixels (not the sky).
#[derive(Debug, Clone, Default)]
struct Content {
    index: u64,
    time: f64,
    /// Share of the frame that shows an entity.
    share: f32,
    /// Share of those pixels that are pure white.
    blown: f32,
    /// 95th percentile of the distance seen, metres.
    depth_p95: f32,
}

/// What the visual checks remember of each frame: a few numbers, not images.
#[derive(Debug, Clone, Default)]
struct FrameLook {
    index: u64,
    time: f64,
    mean_luma: f32,
    dark_p99: f32,
    blown: f32,
    /// Share of pixels that changed visibly since the previous frame.
    change: f32,
}

#[derive(Default)]
pub struct VisualRecorder {
    looks: Vec<FrameLook>,
    thumb: Vec<f32>,
    /// Per analysed keyframe: coverage of each entity (fraction of pixels).
    coverage: Vec<(u64, f64, BTreeMap<u32, f32>)>,
    /// Keyframes where the camera seems to sit inside geometry: the share
    /// of the view that is too close, and the entity, when known.
    inside: Vec<(u64, f64, f32, Option<usize>)>,
    /// The id pass of the keyframe analysed last, until its image arrives.
    pending_ids: Option<(u64, Vec<u32>)>,
    /// Keyframes' scene pixels: exposure and how near everything is.
    content: Vec<Content>,
}

/// Luma of an sRGB pixel, 0..1.
fn luma(p: &[u8]) -> f32 {
    (0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32) / 255.0
}

impl VisualRecorder {
    /// Every rendered frame: brightness and change statistics.
    pub fn look(&mut self, index: u64, time: f64, width: u32, height: u32, rgba: &[u8]) {
        let n = (width * height) as usize;
        if n == 0 || rgba.len() < n * 4 {
            return;
        }
        let mut sum = 0.0f64;
        let mut blown = 0usize;
        let mut hist = [0u32; 64];
        // Every second pixel each way is plenty for brightness statistics
        // (and four times cheaper); every fourth makes the thumbnail that
        // change is measured on.
        let mut sampled = 0usize;
        let mut thumb = Vec::with_capacity(n / 16 + 1);
        for y in (0..height as usize).step_by(2) {
            for x in (0..width as usize).step_by(2) {
                let p = &rgba[(y * width as usize + x) * 4..][..4];
                let l = luma(p);
                sampled += 1;
                sum += l as f64;
                hist[((l * 63.0) as usize).min(63)] += 1;
                if p[0] >= 250 && p[1] >= 250 && p[2] >= 250 {
                    blown += 1;
                }
                if x % 4 == 0 && y % 4 == 0 {
                    thumb.push(l);
                }
            }
        }
        if let Some((k, ids)) = self.pending_ids.take_if(|(k, _)| *k == index) {
            self.content_look(k, time, width, height, rgba, &ids);
        }
        let n = sampled;
        let target = (n as f32 * 0.99) as u32;
        let mut acc = 0;
        let mut p99 = 1.0;
        for (i, c) in hist.iter().enumerate() {
            acc += c;
            if acc >= target {
                p99 = (i as f32 + 1.0) / 64.0;
                break;
            }
        }
        // Share of the thumbnail whose brightness changed visibly (by more
        // than about 8 of 255 levels): small moving subjects count as much
        // as large ones, which a mean difference would drown.
        let change = if self.thumb.len() == thumb.len() && !thumb.is_empty() {
            thumb
                .iter()
                .zip(&self.thumb)
                .filter(|(a, b)| (*a - *b).abs() > 0.03)
                .count() as f32
                / thumb.len() as f32
        } else {
            0.0
        };
        self.thumb = thumb;
        self.looks.push(FrameLook {
            index,
            time,
            mean_luma: (sum / n as f64) as f32,
            dark_p99: p99,
            blown: blown as f32 / n as f32,
            change,
        });
    }

    /// Exposure of the scene's own pixels in a keyframe (its id pass is
    /// known): a white subject and ground under a blue sky is blown out
    /// however little of the frame the sky leaves white.
    fn content_look(&mut self, index: u64, time: f64, w: u32, h: u32, rgba: &[u8], ids: &[u32]) {
        let n = (w * h) as usize;
        if ids.len() < n {
            return;
        }
        let (mut seen, mut blown) = (0usize, 0usize);
        for (k, id) in ids[..n].iter().enumerate() {
            if *id == 0 {
                continue;
            }
            seen += 1;
            let p = &rgba[k * 4..k * 4 + 4];
            if p[0] >= 250 && p[1] >= 250 && p[2] >= 250 {
                blown += 1;
            }
        }
        if let Some(c) = self.content.iter_mut().find(|c| c.index == index) {
            c.time = time;
            c.blown = blown as f32 / seen.max(1) as f32;
        }
    }

    /// Analysed keyframes: who is visible, and is the camera inside something.
    pub fn analyse(&mut self, a: &Analysed) {
        let n = (a.width * a.height) as usize;
        if n == 0 || a.ids.len() < n || a.depth.len() < n {
            return;
        }
        let mut counts: BTreeMap<u32, u32> = BTreeMap::new();
        for id in &a.ids[..n] {
            if *id > 0 {
                *counts.entry(*id - 1).or_default() += 1;
            }
        }
        let coverage = counts
            .into_iter()
            .map(|(k, c)| (k, c as f32 / n as f32))
            .collect();
        self.coverage.push((a.index, a.time, coverage));
        let mut depths: Vec<f32> = a.depth[..n]
            .iter()
            .zip(&a.ids[..n])
            .filter(|(_, id)| **id > 0)
            .map(|(d, _)| *d)
            .collect();
        depths.sort_by(f32::total_cmp);
        let seen = depths.len();
        self.content.push(Content {
            index: a.index,
            time: a.time,
            share: seen as f32 / n as f32,
            blown: 0.0,
            depth_p95: depths
                .get(seen * 95 / 100)
                .copied()
                .unwrap_or(f32::INFINITY),
        });
        self.pending_ids = Some((a.index, a.ids[..n].to_vec()));
        // Back faces over most of the view, whichever entities they belong
        // to: the camera is inside something closed.
        let back = a
            .backfacing
            .iter()
            .zip(&a.ids[..n])
            .filter(|(b, id)| **b && **id > 0)
            .count() as f32
            / n as f32;
        // Geometry closer than 5 cm over most of the view: we are inside it.
        let near = a.depth[..n]
            .iter()
            .zip(&a.ids[..n])
            .filter(|(d, id)| **id > 0 && **d < 0.05)
            .count() as f32
            / n as f32;
        if near > 0.5 || back > 0.5 || a.inside.is_some() {
            self.inside.push((a.index, a.time, near, a.inside));
        }
    }

    /// Findings. `subjects` are the entities the scene is about; `motion`
    /// says whether dynamics are expected to show.
    pub fn findings(&self, world: &World, subjects: &[Subject], motion: bool) -> Vec<Finding> {
        let mut out = Vec::new();
        let f = |id: &str,
                 sev: Severity,
                 ents: Vec<String>,
                 span: (u64, f64, u64, f64),
                 obs: String,
                 exp: &str,
                 msg: String,
                 fix: &str| Finding {
            id: id.into(),
            category: Category::Visual,
            severity: sev,
            entities: ents,
            time: [span.1, span.3],
            frames: [span.0, span.2],
            observed: obs,
            expected: exp.into(),
            message: msg,
            fix: fix.into(),
        };
        let (first, last) = match (self.looks.first(), self.looks.last()) {
            (Some(a), Some(b)) => ((a.index, a.time), (b.index, b.time)),
            _ => ((0, 0.0), (0, 0.0)),
        };
        let whole = (first.0, first.1, last.0, last.1);
        // Black and blown-out frames.
        let black: Vec<&FrameLook> = self
            .looks
            .iter()
            .filter(|l| l.mean_luma < 0.03 && l.dark_p99 < 0.1)
            .collect();
        if let (Some(a), Some(b)) = (black.first(), black.last()) {
            out.push(f(
                "visual.black_frames",
                Severity::Error,
                vec![],
                (a.index, a.time, b.index, b.time),
                format!("{} frames almost black (mean brightness {:.3})", black.len(), a.mean_luma),
                "visible images",
                format!("{} frame(s) are black: nothing can be seen", black.len()),
                "Add light: a sun above the horizon (elevation > 5), point lights near the subject, or a higher sky ambient or exposure.",
            ));
        }
        let blown: Vec<&FrameLook> = self.looks.iter().filter(|l| l.blown > 0.6).collect();
        // The scene itself washed out, the sky aside.
        let washed: Vec<&Content> = self
            .content
            .iter()
            .filter(|c| c.share > 0.2 && c.blown > 0.6)
            .collect();
        if blown.is_empty()
            && let (Some(a), Some(b)) = (washed.first(), washed.last())
        {
            out.push(f(
                "visual.blown_out",
                Severity::Error,
                vec![],
                (a.index, a.time, b.index, b.time),
                format!("{:.0} % of the scene's own pixels pure white", a.blown * 100.0),
                "< 60 % pure white",
                format!("{} keyframe(s) are blown out: the objects and the ground are a white glare", washed.len()),
                "Lower light intensities or sky(#{ exposure: -1 }); check emissive_strength values.",
            ));
        }
        if let (Some(a), Some(b)) = (blown.first(), blown.last()) {
            out.push(f(
                "visual.blown_out",
                Severity::Error,
                vec![],
                (a.index, a.time, b.index, b.time),
                format!("{:.0} % of pixels pure white", a.blown * 100.0),
                "< 60 % pure white",
                format!("{} frame(s) are blown out to white", blown.len()),
                "Lower light intensities or sky(#{ exposure: -1 }); check emissive_strength values.",
            ));
        }
        // Shut in by one object (a crate of six panels): every pixel shows
        // it, all of it within arm's reach.
        let mut inside = self.inside.clone();
        for (c, (index, time, cov)) in self.content.iter().zip(&self.coverage) {
            if c.share < 0.99 || c.depth_p95 > 1.5 {
                continue;
            }
            let mut by_root: BTreeMap<u32, f32> = BTreeMap::new();
            for (k, share) in cov {
                if (*k as usize) < world.entities.len() {
                    *by_root.entry(root(world, EntityId(*k)).0).or_default() += share;
                }
            }
            if let Some((r, _)) = by_root.iter().find(|(_, s)| **s >= 0.99) {
                inside.push((*index, *time, 1.0, Some(*r as usize)));
            }
        }
        inside.sort_by_key(|x| x.0);
        // The camera inside geometry.
        if let (Some(a), Some(b)) = (inside.first(), inside.last()) {
            let entity =
                a.3.filter(|&i| i < world.entities.len())
                    .map(|i| world.entity(EntityId(i as u32)).label());
            let observed = match a.3 {
                Some(_) => "the view shows the inside faces of a shape".to_string(),
                None => format!("{:.0} % of the view closer than 5 cm", a.2 * 100.0),
            };
            let message = match &entity {
                Some(name) => format!("the camera is inside '{name}'"),
                None => "the camera is inside an object".to_string(),
            };
            out.push(f(
                "visual.camera_inside",
                Severity::Error,
                entity.into_iter().collect(),
                (a.0, a.1, b.0, b.1),
                observed,
                "a clear view",
                message,
                "Move the camera out: camera(#{ position: [...] }) farther from the geometry, or move what blocks it.",
            ));
        }
        // Subjects visible and large enough.
        if !self.coverage.is_empty() {
            for subject in subjects {
                let name = subject.name.clone();
                // Count the subject with everything it contains.
                let family: Vec<u32> = world
                    .entities
                    .iter()
                    .filter(|e| {
                        let mut cur = Some(e.id);
                        while let Some(c) = cur {
                            if subject.members.contains(&c) {
                                return true;
                            }
                            cur = world.entity(c).parent;
                        }
                        false
                    })
                    .map(|e| e.id.0)
                    .collect();
                let per_frame: Vec<f32> = self
                    .coverage
                    .iter()
                    .map(|(_, _, c)| {
                        family
                            .iter()
                            .map(|k| c.get(k).copied().unwrap_or(0.0))
                            .sum()
                    })
                    .collect();
                let seen = per_frame.iter().filter(|c| **c > 0.0).count();
                let biggest = per_frame.iter().copied().fold(0.0, f32::max);
                let span = (
                    self.coverage[0].0,
                    self.coverage[0].1,
                    self.coverage[self.coverage.len() - 1].0,
                    self.coverage[self.coverage.len() - 1].1,
                );
                if seen == 0 {
                    out.push(f(
                        "visual.subject_not_visible",
                        Severity::Error,
                        vec![name.clone()],
                        span,
                        "covers 0 % of every analysed frame".into(),
                        "visible",
                        format!("'{name}' is never in view"),
                        &format!("Aim the camera at it: camera(#{{ position: [...], target: \"{name}\" }}), and check nothing hides it."),
                    ));
                } else if seen * 2 < per_frame.len() && !subject.background {
                    out.push(f(
                        "visual.subject_mostly_hidden",
                        Severity::Warning,
                        vec![name.clone()],
                        span,
                        format!("visible in {seen} of {} analysed frames", per_frame.len()),
                        "visible in most frames",
                        format!("'{name}' is out of view most of the time"),
                        &format!("Follow it: camera(#{{ target: \"{name}\" }}), or widen the fov."),
                    ));
                } else if biggest < subject.least_share {
                    let landscape = subject.least_share > SPECK_SHARE;
                    out.push(f(
                        "visual.subject_too_small",
                        if landscape || subject.main {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        vec![name.clone()],
                        span,
                        format!("at most {:.2} % of the frame", biggest * 100.0),
                        &format!(">= {} % of the frame", subject.least_share * 100.0),
                        if landscape {
                            format!("'{name}' is a clump in the distance, not the scene")
                        } else {
                            format!("'{name}' is a speck in the frame")
                        },
                        if landscape {
                            "Stand the camera at its edge (about half its width from its centre), looking in."
                        } else {
                            "Move the camera closer or narrow its fov."
                        },
                    ));
                }
            }
        }
        // Motion where dynamics are expected.
        if motion && self.looks.len() > 2 {
            let moving = self
                .looks
                .iter()
                .skip(1)
                .map(|l| l.change)
                .fold(0.0, f32::max);
            if moving < 0.0003 {
                out.push(f(
                    "visual.no_visible_motion",
                    Severity::Warning,
                    vec![],
                    whole,
                    format!(
                        "at most {:.3} % of pixels change between frames",
                        moving * 100.0
                    ),
                    "visible change where things move",
                    "things move in the world, but nothing moves in the picture".into(),
                    "Point the camera at the action, or move it closer.",
                ));
            }
        }
        // Flicker: brightness jumping up and down between frames.
        let lumas: Vec<f32> = self.looks.iter().map(|l| l.mean_luma).collect();
        let flips = lumas
            .windows(3)
            .filter(|w| {
                let (d1, d2) = (w[1] - w[0], w[2] - w[1]);
                d1.abs() > 0.08 && d2.abs() > 0.08 && d1.signum() != d2.signum()
            })
            .count();
        if flips >= 3 {
            out.push(f(
                "visual.flicker",
                Severity::Warning,
                vec![],
                whole,
                format!("{flips} brightness reversals larger than 8 %"),
                "smooth brightness",
                "the image flickers: overall brightness jumps up and down between frames".into(),
                "Slow down light animation (lower oscillate frequency or amplitude), or check for lights turning on and off each frame.",
            ));
        }
        out
    }
}

/// The top-level object an entity belongs to.
fn root(world: &World, id: EntityId) -> EntityId {
    let mut cur = id;
    while let Some(p) = world.entity(cur).parent {
        cur = p;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(v: u8, w: u32, h: u32) -> Vec<u8> {
        vec![v; (w * h * 4) as usize]
    }

    #[test]
    fn black_blown_and_flicker() {
        let w = World::default();
        let mut black = VisualRecorder::default();
        for i in 0..5 {
            black.look(i, i as f64 / 24.0, 16, 16, &frame(2, 16, 16));
        }
        let ids: Vec<String> = black
            .findings(&w, &[], false)
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["visual.black_frames"]);
        let mut white = VisualRecorder::default();
        white.look(0, 0.0, 16, 16, &frame(255, 16, 16));
        assert_eq!(white.findings(&w, &[], false)[0].id, "visual.blown_out");
        let mut flicker = VisualRecorder::default();
        for i in 0..10 {
            flicker.look(
                i,
                i as f64 / 24.0,
                16,
                16,
                &frame(if i % 2 == 0 { 60 } else { 160 }, 16, 16),
            );
        }
        assert!(
            flicker
                .findings(&w, &[], false)
                .iter()
                .any(|f| f.id == "visual.flicker")
        );
        let mut steady = VisualRecorder::default();
        for i in 0..10 {
            steady.look(i, i as f64 / 24.0, 16, 16, &frame(100, 16, 16));
        }
        assert!(steady.findings(&w, &[], false).is_empty());
        assert_eq!(
            steady.findings(&w, &[], true)[0].id,
            "visual.no_visible_motion"
        );
    }

    #[test]
    fn camera_inside_geometry() {
        let w = World::default();
        let mut v = VisualRecorder::default();
        let ids = vec![1u32; 64];
        let depth = vec![0.01f32; 64];
        v.analyse(&Analysed {
            index: 0,
            time: 0.0,
            width: 8,
            height: 8,
            ids: &ids,
            depth: &depth,
            backfacing: &[false; 64],
            inside: None,
        });
        assert!(
            v.findings(&w, &[], false)
                .iter()
                .any(|f| f.id == "visual.camera_inside")
        );
    }
}
