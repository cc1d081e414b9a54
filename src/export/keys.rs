//! Animation keys: per-frame samples stored only where they change, then
//! thinned to the keys linear interpolation cannot do without.

use glam::{Quat, Vec3};

/// Samples of one animated value, one per output frame, stored run-length:
/// a value that holds for many frames keeps only its first and last frame,
/// so linear interpolation between the stored keys gives back every frame
/// exactly and memory grows with motion, not with the run.
#[derive(Debug, Clone)]
pub struct Samples<T> {
    keys: Vec<(u64, T)>,
    /// The last frame seen while the value stayed equal to the last key.
    held: Option<u64>,
}

impl<T: Copy + PartialEq> Default for Samples<T> {
    fn default() -> Self {
        Samples {
            keys: Vec::new(),
            held: None,
        }
    }
}

impl<T: Copy + PartialEq> Samples<T> {
    /// Adds the value at `frame`; frames come in increasing order.
    pub fn push(&mut self, frame: u64, value: T) {
        if let Some(&(_, last)) = self.keys.last()
            && last == value
        {
            self.held = Some(frame);
            return;
        }
        if let (Some(h), Some(&(_, last))) = (self.held.take(), self.keys.last()) {
            self.keys.push((h, last));
        }
        self.keys.push((frame, value));
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The stored keys, the held run closed.
    pub fn keys(&self) -> Vec<(u64, T)> {
        let mut keys = self.keys.clone();
        if let (Some(h), Some(&(_, last))) = (self.held, self.keys.last()) {
            keys.push((h, last));
        }
        keys
    }

    pub fn first(&self) -> Option<T> {
        self.keys.first().map(|k| k.1)
    }
}

/// Longest run of frames one pair of keys may stand for: bounds the cost of
/// thinning (each candidate segment is checked frame by frame).
const MAX_SPAN: usize = 600;

/// Drops the keys that linear interpolation between their neighbours gives
/// back within `tolerance`, by `deviation(a, b, s, value)`: the distance of
/// `value` from the interpolation of `a` and `b` at fraction `s`. The first
/// and last keys always stay.
pub fn thin<T: Copy>(
    keys: &[(u64, T)],
    tolerance: f32,
    deviation: impl Fn(&T, &T, f32, &T) -> f32,
) -> Vec<(u64, T)> {
    if keys.len() <= 2 {
        return keys.to_vec();
    }
    let mut out = vec![keys[0]];
    let mut anchor = 0;
    let mut i = 1;
    while i < keys.len() - 1 {
        let end = i + 1;
        let (fa, a) = keys[anchor];
        let (fb, b) = keys[end];
        let span = (fb - fa) as f32;
        let fits = end - anchor <= MAX_SPAN
            && (anchor + 1..end).all(|j| {
                let (fj, v) = keys[j];
                deviation(&a, &b, (fj - fa) as f32 / span, &v) <= tolerance
            });
        if !fits {
            out.push(keys[i]);
            anchor = i;
        }
        i += 1;
    }
    out.push(keys[keys.len() - 1]);
    out
}

pub fn vec3_deviation(a: &Vec3, b: &Vec3, s: f32, v: &Vec3) -> f32 {
    a.lerp(*b, s).distance(*v)
}

/// glTF interpolates rotations by spherical linear interpolation.
pub fn quat_deviation(a: &Quat, b: &Quat, s: f32, v: &Quat) -> f32 {
    a.slerp(*b, s).angle_between(*v)
}

/// Flips signs so consecutive quaternions lie in the same hemisphere: the
/// same rotations, but interpolation takes the short way round.
pub fn continuous(keys: &mut [(u64, Quat)]) {
    for i in 1..keys.len() {
        if keys[i - 1].1.dot(keys[i].1) < 0.0 {
            keys[i].1 = -keys[i].1;
        }
    }
}

/// Whether every key is within `tolerance` of the first.
pub fn constant<T: Copy>(
    keys: &[(u64, T)],
    tolerance: f32,
    distance: impl Fn(&T, &T) -> f32,
) -> bool {
    keys.iter()
        .all(|(_, v)| distance(&keys[0].1, v) <= tolerance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_values_keep_two_keys_and_interpolate_back_exactly() {
        let mut s = Samples::default();
        for f in 0..10u64 {
            s.push(f, if f < 6 { 1.0f32 } else { 2.0 });
        }
        assert_eq!(s.keys(), vec![(0, 1.0), (5, 1.0), (6, 2.0), (9, 2.0)]);
    }

    #[test]
    fn thinning_keeps_corners_and_drops_straight_runs() {
        let keys: Vec<(u64, Vec3)> = (0..20u64)
            .map(|f| {
                let x = if f <= 10 { f as f32 } else { 10.0 };
                (f, Vec3::new(x, 0.0, 0.0))
            })
            .collect();
        let thinned = thin(&keys, 1e-4, vec3_deviation);
        let frames: Vec<u64> = thinned.iter().map(|k| k.0).collect();
        assert_eq!(frames, vec![0, 10, 19]);
        // A curve keeps more than its ends.
        let curve: Vec<(u64, Vec3)> = (0..20u64)
            .map(|f| (f, Vec3::new(f as f32, (f as f32 * 0.3).sin(), 0.0)))
            .collect();
        assert!(thin(&curve, 1e-3, vec3_deviation).len() > 10);
    }

    #[test]
    fn quaternions_are_made_continuous() {
        let q = Quat::from_rotation_y(0.1);
        let mut keys = vec![(0, q), (1, -q)];
        continuous(&mut keys);
        assert!(keys[1].1.dot(q) > 0.0);
    }
}
