//! Checks on liquids and grains: particles conserved (or accounted for by
//! sources and sinks), liquid leaving a container other than over its rim,
//! and grains still moving long after their sources stopped.

use super::finding::{Category, Finding, Severity};
use crate::measure::expect::{container_box, held_count};
use crate::sim::Frame;
use crate::sim::fluid::FluidStats;
use crate::world::{EntityId, ExpectKind, Subject, World};

/// Share of particles that may go missing before it is a finding.
const LOST_SHARE: f64 = 0.05;
/// Share of the most a container held that may leave below its rim.
const LEAK_SHARE: f64 = 0.05;
/// Share of grains still moving at the end that counts as unsettled.
const MOVING_SHARE: f32 = 0.2;
/// Grains count as unsettled only when moving all through this last
/// stretch of the run: a heap that slips once in its last frame (an
/// avalanche, an arch breaking in an hourglass's neck) is settling.
const SETTLE_WINDOW: f64 = 0.5;

/// (time, share moving, mean speed) of one body's recent frames.
type Motion = (f64, f32, f32);

/// The least motion of a body over the last [`SETTLE_WINDOW`] seconds
/// before `end`, if even that is over [`MOVING_SHARE`]: it kept moving.
fn kept_moving(history: &[Motion], end: f64) -> Option<Motion> {
    history
        .iter()
        .filter(|m| m.0 >= end - SETTLE_WINDOW - 1e-9)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .copied()
        .filter(|m| m.1 > MOVING_SHARE)
}

struct Container {
    container: EntityId,
    body: Option<EntityId>,
    peak: usize,
    /// (frame, time, particles gone below the rim) of the worst moment.
    leak: Option<(u64, f64, usize)>,
}

#[derive(Default)]
pub struct FluidRecorder {
    containers: Vec<Container>,
    started: bool,
    last: Vec<(EntityId, FluidStats)>,
    /// Per body, its motion over the frames of the last window.
    motion: Vec<(EntityId, Vec<Motion>)>,
}

impl FluidRecorder {
    pub fn record(&mut self, world: &World, frame: &Frame) {
        if frame.fluids.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            for x in &world.expectations {
                if let (ExpectKind::Fills { body, .. }, Subject::Entity(c)) = (&x.kind, x.subject) {
                    self.containers.push(Container {
                        container: c,
                        body: *body,
                        peak: 0,
                        leak: None,
                    });
                }
            }
        }
        for c in &mut self.containers {
            let held = held_count(world, frame, c.container, c.body);
            c.peak = c.peak.max(held);
            let Some((_, hi)) = container_box(world, frame, c.container) else {
                continue;
            };
            // Over the rim means some particle is at or above it now.
            let over_rim = frame
                .fluids
                .iter()
                .filter(|f| c.body.is_none_or(|b| b == f.entity))
                .any(|f| f.stats.max.y >= hi.y - 2.0 * f.radius);
            let gone = c.peak - held.min(c.peak);
            if !over_rim && gone as f64 > LEAK_SHARE * c.peak as f64 && gone > 3 {
                let worse = c.leak.is_none_or(|(_, _, g)| gone > g);
                if worse {
                    c.leak = Some((frame.index, frame.time, gone));
                }
            }
        }
        self.last = frame
            .fluids
            .iter()
            .map(|f| (f.entity, f.stats.clone()))
            .collect();
        for f in &frame.fluids {
            let at = match self.motion.iter().position(|(e, _)| *e == f.entity) {
                Some(k) => k,
                None => {
                    self.motion.push((f.entity, Vec::new()));
                    self.motion.len() - 1
                }
            };
            let h = &mut self.motion[at].1;
            h.push((frame.time, f.stats.moving, f.stats.mean_speed));
            let keep_from = frame.time - SETTLE_WINDOW - 1e-9;
            h.retain(|m| m.0 >= keep_from);
        }
    }

    pub fn findings(&self, world: &World, last: &Frame) -> Vec<Finding> {
        let mut out = Vec::new();
        let finding = |id: &str,
                       sev,
                       who: String,
                       t: f64,
                       obs: String,
                       exp: String,
                       msg: String,
                       fix: &str| Finding {
            id: id.into(),
            category: Category::Physics,
            severity: sev,
            entities: vec![who],
            time: [0.0, t],
            frames: [0, last.index],
            observed: obs,
            expected: exp,
            message: msg,
            fix: fix.into(),
        };
        let duration = world.settings.duration;
        for (entity, s) in &self.last {
            let name = world.entity(*entity).label();
            let born = s.filled + s.emitted;
            let accounted = born.saturating_sub(s.drained + s.lost);
            if born > 0 && s.lost as f64 > LOST_SHARE * born as f64 {
                out.push(finding(
                    "fluid.conservation",
                    Severity::Error,
                    name.clone(),
                    last.time,
                    format!("{} of {born} particles lost ({} left, {} drained)", s.lost, s.count, s.drained),
                    format!("count within {:.0} % of sources minus sinks", LOST_SHARE * 100.0),
                    format!("'{name}' loses particles that no sink accounts for (they fell out of the world or blew up)"),
                    "Put a floor or container under the liquid, add a sink() where it should drain, or use a larger particle_radius.",
                ));
            } else if s.count as u64 != accounted {
                out.push(finding(
                    "fluid.conservation",
                    Severity::Error,
                    name.clone(),
                    last.time,
                    format!("{} particles, {accounted} accounted for", s.count),
                    "count = filled + emitted - drained".into(),
                    format!("'{name}' has particles no source or sink accounts for"),
                    "This is a solver fault: report it.",
                ));
            }
            let body = world.fluids.iter().find(|f| f.entity == *entity);
            let history = self
                .motion
                .iter()
                .find(|(e, _)| e == entity)
                .map_or(&[][..], |(_, h)| &h[..]);
            if let Some(b) = body
                && b.kind == crate::world::fluid::FluidKind::Granular
                && b.sources_stop(duration) <= duration - 1.5
                && s.count > 20
                && let Some((_, moving, speed)) = kept_moving(history, last.time)
            {
                out.push(finding(
                    "fluid.grains_unsettled",
                    Severity::Warning,
                    name.clone(),
                    last.time,
                    format!(
                        "at least {:.0} % of grains moving in every frame of the last {SETTLE_WINDOW} s (mean {speed:.2} m/s then)",
                        moving * 100.0
                    ),
                    format!("< {:.0} % moving 1.5 s after the last source stops", MOVING_SHARE * 100.0),
                    format!("'{name}' never settles: its grains keep moving long after pouring stopped"),
                    "Raise friction (or repose), give the grains a floor or container to rest on, or end the run later.",
                ));
            }
        }
        for c in &self.containers {
            if let Some((frame, t, gone)) = c.leak {
                let name = world.entity(c.container).label();
                out.push(Finding {
                    frames: [frame, frame],
                    time: [t, t],
                    ..finding(
                        "fluid.leak",
                        Severity::Error,
                        name.clone(),
                        t,
                        format!("{gone} of {} particles left below the rim", c.peak),
                        format!("< {:.0} % leave other than over the rim", LEAK_SHARE * 100.0),
                        format!("liquid leaks out of '{name}' through its walls or bottom"),
                        "Give the container a triangle-mesh collider (collider: \"trimesh\", body: \"fixed\") with walls at least half a particle_radius thick, or use larger particles.",
                    )
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slip_in_the_last_frame_is_not_unsettled_but_steady_motion_is() {
        let frames = |moving: &dyn Fn(usize) -> f32| -> Vec<Motion> {
            (0..24)
                .map(|k| (4.0 + k as f64 / 24.0 * 0.99, moving(k), 0.05))
                .collect()
        };
        let end = 4.99;
        // Settled, then an avalanche in the final frame.
        let slip = frames(&|k| if k == 23 { 0.4 } else { 0.01 });
        assert_eq!(kept_moving(&slip, end), None);
        // Moving all along.
        let flowing = frames(&|k| 0.3 + 0.01 * (k % 3) as f32);
        let m = kept_moving(&flowing, end).expect("unsettled");
        assert!(
            (m.1 - 0.3).abs() < 1e-6,
            "reports the least motion: {}",
            m.1
        );
        // Settled.
        assert_eq!(kept_moving(&frames(&|_| 0.05), end), None);
    }
}
