//! Our own soft-body dynamics: XPBD on a tetrahedral lattice, with an
//! edge-length constraint per lattice edge and a volume constraint per
//! tetrahedron (Macklin et al., small steps). The rest shape may pulse
//! ([`Pulse`]): rest lengths and volumes follow a scaled rest state, which
//! is how a jellyfish bell contracts.
//!
//! Rigid shapes push the body out (one-way, see `super::cloth`).

use std::sync::Arc;

use glam::{Quat, Vec3};

use super::cloth::{Colliders, DeformStats, centroid_bounds_speed};
use crate::world::deformable::{Pulse, SoftBody, tet_volume};
use crate::world::{EntityId, Field, Transform};

/// Distance soft bodies keep from rigid surfaces, metres.
const SKIN: f32 = 0.003;

/// How strongly an anchored body's centre follows its anchor, 1/s.
const ANCHOR_RATE: f32 = 4.0;

pub struct SoftState {
    pub entity: EntityId,
    pub x: Vec<Vec3>,
    prev: Vec<Vec3>,
    pub v: Vec<Vec3>,
    w: Vec<f32>,
    /// Rest positions, centred on the rest centroid, in the body's frame.
    rest: Vec<Vec3>,
    tets: Arc<Vec<[u32; 4]>>,
    pub surface: Arc<Vec<[u32; 3]>>,
    edges: Vec<[u32; 2]>,
    /// Rest volumes at unit rest scale.
    tet_rest: Vec<f32>,
    /// Current rest scale of edges and tetrahedra.
    edge_now: Vec<f32>,
    rest_volume: f32,
    params: SoftBody,
    /// Offset of the centre from the anchor entity, in its frame.
    anchor_offset: Vec3,
    /// The body's rest orientation in the anchor's frame: an anchored body
    /// keeps it (a jellyfish's bell stays upright as it swims), where a
    /// pull on the centre alone let the pulsing shape tumble.
    anchor_rotation: Quat,
    rest_centroid: Vec3,
    /// Per-vertex velocity towards the anchored rest shape, this step.
    pull: Vec<Vec3>,
    anchor: Option<EntityId>,
    scale_now: Vec3,
}

fn tet_edges(tets: &[[u32; 4]]) -> Vec<[u32; 2]> {
    let mut e: Vec<[u32; 2]> = Vec::with_capacity(tets.len() * 6);
    for t in tets {
        for (a, b) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
            let (p, q) = (t[a], t[b]);
            e.push([p.min(q), p.max(q)]);
        }
    }
    e.sort_unstable();
    e.dedup();
    e
}

impl SoftState {
    pub fn new(s: &SoftBody, t: &Transform, transforms: &[Transform]) -> SoftState {
        let m = t.matrix();
        let x: Vec<Vec3> = s.rest.iter().map(|p| m.transform_point3(*p)).collect();
        let n = x.len();
        let mut mass = vec![0.0f32; n];
        let mut tet_rest = Vec::with_capacity(s.tets.len());
        // Rest in the body's own (rotated) frame, scaled as placed.
        let rest: Vec<Vec3> = s.rest.iter().map(|p| *p * t.scale).collect();
        for tet in s.tets.iter() {
            let [a, b, c, d] = tet.map(|i| rest[i as usize]);
            let v = tet_volume(a, b, c, d).abs();
            tet_rest.push(v);
            for i in tet {
                mass[*i as usize] += v * s.density / 4.0;
            }
        }
        let w: Vec<f32> = mass
            .iter()
            .map(|m| if *m > 1e-12 { 1.0 / m } else { 0.0 })
            .collect();
        let edges = tet_edges(&s.tets);
        let edge_rest: Vec<f32> = edges
            .iter()
            .map(|e| rest[e[0] as usize].distance(rest[e[1] as usize]))
            .collect();
        let centre = x.iter().copied().sum::<Vec3>() / n.max(1) as f32;
        let (anchor_offset, anchor_rotation) = match s.anchor {
            Some(a) => {
                let at = transforms[a.index()];
                (
                    at.rotation.conjugate() * (centre - at.position),
                    at.rotation.conjugate() * t.rotation,
                )
            }
            None => (Vec3::ZERO, Quat::IDENTITY),
        };
        let rest_centroid = rest.iter().copied().sum::<Vec3>() / n.max(1) as f32;
        let rest_volume = tet_rest.iter().sum();
        SoftState {
            entity: s.entity,
            prev: x.clone(),
            v: vec![s.velocity; n],
            x,
            w,
            rest,
            tets: s.tets.clone(),
            surface: s.surface.clone(),
            edge_now: edge_rest,
            edges,
            tet_rest,
            rest_volume,
            params: s.clone(),
            anchor_offset,
            anchor_rotation,
            rest_centroid,
            pull: Vec::new(),
            anchor: s.anchor,
            scale_now: Vec3::ONE,
        }
    }

    pub fn anchor(&self) -> Option<EntityId> {
        self.anchor
    }

    fn set_rest_scale(&mut self, pulse: &Pulse, t: f32) {
        let s = pulse.scale(t);
        if s == self.scale_now {
            return;
        }
        self.scale_now = s;
        for (k, e) in self.edges.iter().enumerate() {
            self.edge_now[k] = ((self.rest[e[0] as usize] - self.rest[e[1] as usize]) * s).length();
        }
    }

    fn solve_volumes(&mut self, alpha: f32) {
        let scale = self.scale_now.x * self.scale_now.y * self.scale_now.z;
        for (tet, &v0) in self.tets.iter().zip(&self.tet_rest) {
            let [i0, i1, i2, i3] = tet.map(|i| i as usize);
            let (p0, p1, p2, p3) = (self.x[i0], self.x[i1], self.x[i2], self.x[i3]);
            // Gradients of six times the signed volume.
            let g0 = (p3 - p1).cross(p2 - p1);
            let g1 = (p2 - p0).cross(p3 - p0);
            let g2 = (p3 - p0).cross(p1 - p0);
            let g3 = (p1 - p0).cross(p2 - p0);
            let wsum = self.w[i0] * g0.length_squared()
                + self.w[i1] * g1.length_squared()
                + self.w[i2] * g2.length_squared()
                + self.w[i3] * g3.length_squared();
            if wsum < 1e-18 {
                continue;
            }
            let vol = tet_volume(p0, p1, p2, p3);
            let c = 6.0 * (vol - v0 * scale);
            let l = -c / (wsum + alpha);
            self.x[i0] += g0 * (l * self.w[i0]);
            self.x[i1] += g1 * (l * self.w[i1]);
            self.x[i2] += g2 * (l * self.w[i2]);
            self.x[i3] += g3 * (l * self.w[i3]);
        }
    }

    fn solve_edges(&mut self, alpha: f32) {
        for (e, &l0) in self.edges.iter().zip(&self.edge_now) {
            let (a, b) = (e[0] as usize, e[1] as usize);
            let wsum = self.w[a] + self.w[b];
            if wsum == 0.0 {
                continue;
            }
            let d = self.x[a] - self.x[b];
            let l = d.length();
            if l < 1e-9 {
                continue;
            }
            let g = d * ((l0 - l) / (l * (wsum + alpha)));
            self.x[a] += g * self.w[a];
            self.x[b] -= g * self.w[b];
        }
    }

    pub fn step(
        &mut self,
        colliders: &Colliders,
        fields: &[&Field],
        gravity: Vec3,
        t: f32,
        dt: f32,
        anchor: Option<Transform>,
    ) {
        if let Some(p) = self.params.pulse {
            self.set_rest_scale(&p, t + dt);
        }
        let n = self.x.len().max(1) as f32;
        let centre = self.x.iter().copied().sum::<Vec3>() / n;
        let accel: Vec3 = fields.iter().map(|f| f.acceleration(centre)).sum::<Vec3>()
            + gravity * self.params.gravity;
        let air: Vec3 = fields.iter().map(|f| f.air_velocity(centre, t)).sum();
        let drag_rate: f32 = fields.iter().map(|f| f.drag_rate()).sum();
        // The anchor pulls each vertex softly towards the rest shape (as
        // pulsed now) placed on the anchor: the body follows its position
        // and orientation and still wobbles between.
        self.pull.clear();
        if let Some(at) = anchor {
            let centre_at = at.position + at.rotation * self.anchor_offset;
            let turn = at.rotation * self.anchor_rotation;
            for (r, x) in self.rest.iter().zip(&self.x) {
                let target = centre_at + turn * ((*r - self.rest_centroid) * self.scale_now);
                self.pull.push((target - *x) * ANCHOR_RATE);
            }
        }
        let subs = self.params.iterations.max(1);
        let h = dt / subs as f32;
        let damp = libm::expf(-(self.params.damping + drag_rate).max(0.0) * h);
        let alpha_e = self.params.edge_compliance / (h * h);
        let alpha_v = self.params.volume_compliance / (h * h);
        let follow = 1.0 - libm::expf(-ANCHOR_RATE * h);
        for _ in 0..subs {
            for i in 0..self.x.len() {
                if self.w[i] == 0.0 {
                    continue;
                }
                let mut v = (self.v[i] + accel * h) * damp;
                if let Some(pull) = self.pull.get(i) {
                    v += (*pull - v) * follow;
                } else if drag_rate > 0.0 {
                    // Still air or water carries the body along with its flow.
                    v += air * (1.0 - damp);
                }
                self.v[i] = v;
                self.prev[i] = self.x[i];
                self.x[i] += v * h;
            }
            self.solve_edges(alpha_e);
            self.solve_volumes(alpha_v);
            // A hair's gap keeps resting vertices in contact, so friction holds them.
            colliders.resolve(
                &mut self.x,
                &self.prev,
                &self.w,
                SKIN,
                self.params.friction,
                h,
            );
            let inv_h = 1.0 / h;
            for i in 0..self.x.len() {
                if !self.x[i].is_finite() {
                    self.x[i] = self.prev[i];
                }
                let v = (self.x[i] - self.prev[i]) * inv_h;
                self.v[i] = if v.is_finite() { v } else { Vec3::ZERO };
            }
        }
    }

    pub fn volume(&self) -> f32 {
        self.tets
            .iter()
            .map(|t| {
                let [a, b, c, d] = t.map(|i| self.x[i as usize]);
                tet_volume(a, b, c, d)
            })
            .sum()
    }

    pub fn stats(&self, colliders: &Colliders) -> DeformStats {
        let (centroid, min, max, mean_speed) = centroid_bounds_speed(&self.x, &self.v);
        let max_stretch = self
            .edges
            .iter()
            .zip(&self.edge_now)
            .map(|(e, l0)| {
                self.x[e[0] as usize].distance(self.x[e[1] as usize]) / l0.max(1e-9) - 1.0
            })
            .fold(0.0f32, f32::max);
        let scale = self.scale_now.x * self.scale_now.y * self.scale_now.z;
        let (pen, _) = colliders.penetration(&self.x);
        DeformStats {
            centroid,
            min,
            max,
            mean_speed,
            max_stretch,
            volume_ratio: self.volume() / (self.rest_volume * scale).max(1e-12),
            penetration: pen,
            normal: Vec3::ZERO,
        }
    }
}
