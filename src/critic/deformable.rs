//! Checks on cloth and soft bodies, from the run's per-body summaries:
//! cloth that stretches like rubber, bodies that pass into rigid geometry,
//! soft bodies that lose (or gain) volume.

use super::finding::{Category, Finding, Severity};
use crate::measure::trace::DeformSummary;
use crate::sim::Frame;

/// Cloth may stretch this much once settled (from t = 2 s on).
pub const MAX_CLOTH_STRETCH: f32 = 0.10;
/// Deeper than this inside rigid geometry counts as passing through it.
pub const MAX_PENETRATION: f32 = 0.03;
/// Soft bodies keep their volume within this fraction.
pub const MAX_VOLUME_CHANGE: f32 = 0.10;

pub fn findings(bodies: &[DeformSummary], last: &Frame) -> Vec<Finding> {
    let mut out = Vec::new();
    let whole =
        |id: &str, name: &str, observed: String, expected: String, message: String, fix: &str| {
            Finding {
                id: id.into(),
                category: Category::Physics,
                severity: Severity::Error,
                entities: vec![name.to_string()],
                time: [0.0, last.time],
                frames: [0, last.index],
                observed,
                expected,
                message,
                fix: fix.into(),
            }
        };
    for b in bodies {
        let name = b.name.as_str();
        if b.kind == "cloth" && b.settled_max_stretch > MAX_CLOTH_STRETCH {
            out.push(whole(
                "deform.cloth_stretch",
                name,
                format!("edges stretched up to {:.0} %", b.settled_max_stretch * 100.0),
                format!("under {:.0} %", MAX_CLOTH_STRETCH * 100.0),
                format!("cloth '{name}' stretches like rubber ({:.0} %)", b.settled_max_stretch * 100.0),
                "Lower 'stretch' compliance (0 is inextensible), raise 'iterations', make it lighter ('density') or pin it at more points.",
            ));
        }
        if b.max_penetration > MAX_PENETRATION {
            let mut f = whole(
                "deform.passes_through",
                name,
                format!("{:.0} cm inside rigid geometry", b.max_penetration * 100.0),
                format!("at most {:.0} cm", MAX_PENETRATION * 100.0),
                format!(
                    "'{name}' passes into rigid geometry ({:.0} cm deep at t = {:.2} s)",
                    b.max_penetration * 100.0,
                    b.penetration_at
                ),
                "Start it clear of other objects, raise 'iterations' or 'thickness', or slow it down.",
            );
            f.time = [b.penetration_at, b.penetration_at];
            out.push(f);
        }
        if b.kind == "soft" {
            let change = (1.0 - b.min_volume_ratio).max(b.max_volume_ratio - 1.0);
            if change > MAX_VOLUME_CHANGE {
                out.push(whole(
                    "deform.volume_loss",
                    name,
                    format!(
                        "volume between {:.0} % and {:.0} % of rest",
                        b.min_volume_ratio * 100.0,
                        b.max_volume_ratio * 100.0
                    ),
                    format!("within {:.0} %", MAX_VOLUME_CHANGE * 100.0),
                    format!("soft body '{name}' does not keep its volume ({:.0} % change)", change * 100.0),
                    "Lower 'volume_compliance' (0 keeps volume), raise 'iterations' or 'resolution'.",
                ));
            }
        }
    }
    out
}
