//! Turning a frame into draw lists: per-entity instance data, grouped so
//! entities sharing a mesh draw in one instanced call; transparent entities
//! sorted back to front; separate lists for the shadow map. CPU only.

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};
use glam::{Mat3, Mat4, Vec3, Vec4};

use super::bounds::Aabb;
use super::camera::{CameraRig, box_in_planes};
use super::thinning::Thinned;
use crate::sim::Frame;
use crate::world::{Shape, World};

/// `InstanceRaw::ident[1]` flag on meshes drawn without the surface
/// pipelines: ambient occlusion leaves the instance alone.
pub const UNOCCLUDED: u32 = 1;

/// Per-entity data read by the mesh shaders as instance attributes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct InstanceRaw {
    pub model: [[f32; 4]; 4],
    pub normal: [[f32; 4]; 3],
    /// rgb base colour, a opacity
    pub color: [f32; 4],
    /// rgb emitted radiance, a roughness
    pub emissive: [f32; 4],
    /// metallic, sway amount, sway base height, sway height
    pub params: [f32; 4],
    /// x: entity index + 1. yzw: water waves (see [`pack_waves`]), zero
    /// for anything else; packed here because every vertex attribute
    /// costs the software rasteriser time on every mesh.
    pub ident: [u32; 4],
}

/// Wave parameters as the shader unpacks them (`unpack_waves` in
/// mesh.wgsl): amplitude and wavelength as float bits, then the direction
/// of travel (radians from +X towards +Z) in the low 16 bits and the drift
/// with the current (mm/s) in the high 16.
pub fn pack_waves([amplitude, length, angle, drift]: [f32; 4]) -> [u32; 3] {
    if amplitude <= 0.0 {
        return [0; 3];
    }
    let turn = ((angle / std::f32::consts::TAU).rem_euclid(1.0) * 65535.0).round() as u32;
    let drift = (drift * 1000.0).round().clamp(0.0, 65535.0) as u32;
    [
        amplitude.to_bits(),
        length.to_bits(),
        (turn & 0xffff) | (drift << 16),
    ]
}

/// A mesh the cache has uploaded, as the planner needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeshRef {
    pub id: u32,
    pub bounds: Aabb,
    /// Closed surfaces can cull back faces; open ones (planes, terrain,
    /// script meshes) are drawn two-sided.
    pub closed: bool,
    /// Drawn with the surface pipelines: per-vertex tint (terrain bands)
    /// or waves. Kept apart because the extra vertex work would otherwise
    /// be paid by every mesh.
    pub surface: bool,
    /// Lighter versions of a mesh made of small cards (foliage), for when
    /// its cards span few pixels.
    pub thinned: Option<Thinned>,
}

impl MeshRef {
    /// This mesh as drawn with `model` from `cam`, and as it casts
    /// shadows: thinned when its cards are only a few pixels across, the
    /// shadow one step thinner (a crown's dappled shadow reads the same
    /// with half its leaves).
    fn at_distance(self, model: &Mat4, bounds: &Aabb, cam: &CameraRig) -> (MeshRef, MeshRef) {
        let Some(t) = self.thinned else {
            return (self, self);
        };
        let scale = model
            .x_axis
            .truncate()
            .length()
            .max(model.y_axis.truncate().length())
            .max(model.z_axis.truncate().length());
        let distance = bounds.centre().distance(cam.position).max(cam.near);
        let card_px = t.card_size * scale / distance / cam.pixel_angle.max(1e-6);
        let version = |level: usize| match level {
            0 => self,
            _ => MeshRef {
                id: t.ids[level.min(2) - 1],
                ..self
            },
        };
        let level = Thinned::level(card_px);
        (version(level), version(level + 1))
    }
}

/// Consecutive instances drawn with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawRun {
    pub mesh: u32,
    pub first: u32,
    pub count: u32,
    pub cull: bool,
    /// See [`MeshRef::surface`].
    pub surface: bool,
}

#[derive(Debug, Default)]
pub struct ScenePlan {
    pub instances: Vec<InstanceRaw>,
    pub opaque: Vec<DrawRun>,
    pub transparent: Vec<DrawRun>,
    pub shadow: Vec<DrawRun>,
    /// Bounds of every drawn entity, and of those that are not ground.
    pub scene_bounds: Option<Aabb>,
    pub focus_bounds: Option<Aabb>,
    items: Vec<Item>,
}

/// Below this opacity an entity is treated as see-through.
pub const OPAQUE: f32 = 0.999;
/// At or above this opacity a transparent entity still casts a shadow.
pub const SHADOW_OPACITY: f32 = 0.6;
/// Ground-sized things do not decide how far shadows reach.
const FOCUS_MAX_SIZE: f32 = 60.0;

#[derive(Debug)]
struct Item {
    index: usize,
    mesh: MeshRef,
    /// The mesh its shadow is drawn with (see [`MeshRef::at_distance`]).
    shadow_mesh: MeshRef,
    bounds: Aabb,
    raw: InstanceRaw,
    opacity: f32,
    cull: bool,
}

fn cols4(m: Mat4) -> [[f32; 4]; 4] {
    m.to_cols_array_2d()
}

fn normal_cols(m: Mat4) -> [[f32; 4]; 3] {
    let n = Mat3::from_mat4(m).inverse().transpose();
    let n = if n.is_finite() { n } else { Mat3::IDENTITY };
    [
        n.x_axis.extend(0.0).to_array(),
        n.y_axis.extend(0.0).to_array(),
        n.z_axis.extend(0.0).to_array(),
    ]
}

/// The shader's wave parameters for an entity: nothing for still water;
/// waves travel along the current, else downwind, else along +X.
fn wave_params(e: &crate::world::Entity, wind: Vec3) -> [f32; 4] {
    let w = e.waves;
    if !w.active() || !w.height.is_finite() || !w.length.is_finite() {
        return [0.0; 4];
    }
    let flow = if w.flow.is_finite() {
        w.flow
    } else {
        Vec3::ZERO
    };
    let flat = |v: Vec3| glam::Vec2::new(v.x, v.z);
    let drift = flat(flow).length();
    let along = if drift > 0.01 {
        flat(flow)
    } else if wind.is_finite() && flat(wind).length() > 0.01 {
        flat(wind)
    } else {
        glam::Vec2::X
    };
    [
        w.height.min(20.0) * 0.5,
        w.length.clamp(0.05, 500.0),
        along.y.atan2(along.x),
        drift.min(50.0),
    ]
}

/// Foliage of one hierarchy bends as one piece: every swaying entity of a
/// tree shares the base and height of the swaying parts of its hierarchy.
fn sway_frames(world: &World, boxes: &[Option<Aabb>]) -> Vec<Option<(f32, f32)>> {
    let n = world.entities.len();
    let root_of = |mut i: usize| {
        let mut guard = 0;
        while let Some(p) = world.entities[i].parent {
            if p.index() >= n || guard > n {
                break;
            }
            i = p.index();
            guard += 1;
        }
        i
    };
    let mut span: Vec<Option<(f32, f32)>> = vec![None; n];
    let mut roots = vec![usize::MAX; n];
    for (i, e) in world.entities.iter().enumerate() {
        if e.sway <= 0.0 {
            continue;
        }
        let Some(b) = boxes.get(i).copied().flatten() else {
            continue;
        };
        let r = root_of(i);
        roots[i] = r;
        span[r] = Some(match span[r] {
            Some((lo, hi)) => (lo.min(b.min.y), hi.max(b.max.y)),
            None => (b.min.y, b.max.y),
        });
    }
    (0..n)
        .map(|i| {
            (roots[i] != usize::MAX)
                .then(|| span[roots[i]])
                .flatten()
                .map(|(lo, hi)| (lo, (hi - lo).max(0.05)))
        })
        .collect()
}

/// Builds the camera's draw lists. `meshes[i]` is entity i's uploaded
/// mesh, if it has geometry. Shadow casters come later, once the light is
/// fitted to the bounds found here ([`ScenePlan::add_shadow_casters`]).
pub fn plan(
    world: &World,
    frame: &Frame,
    meshes: &[Option<MeshRef>],
    cam: &CameraRig,
) -> ScenePlan {
    let n = world
        .entities
        .len()
        .min(frame.transforms.len())
        .min(meshes.len());
    // World boxes without sway first: sway needs the hierarchy's extent.
    let mut models = vec![Mat4::IDENTITY; n];
    let mut boxes: Vec<Option<Aabb>> = vec![None; n];
    for i in 0..n {
        let visible = frame.visible.get(i).copied().unwrap_or(true);
        let Some(mesh) = meshes[i] else { continue };
        if !visible {
            continue;
        }
        let m = frame.transforms[i].matrix();
        if !m.is_finite() || m.determinant().abs() < 1e-18 {
            continue;
        }
        let b = mesh.bounds.transformed(&m);
        if !b.is_finite() {
            continue;
        }
        models[i] = m;
        boxes[i] = Some(b);
    }
    let sway = sway_frames(world, &boxes);
    let planes = cam.planes();
    let mut plan = ScenePlan::default();
    let mut items = Vec::new();
    for i in 0..n {
        let (Some(b), Some(mesh)) = (boxes[i], meshes[i]) else {
            continue;
        };
        let e = &world.entities[i];
        let mat = frame.materials.get(i).unwrap_or(&e.material);
        let opacity = if mat.opacity.is_finite() {
            mat.opacity.clamp(0.0, 1.0)
        } else {
            1.0
        };
        if opacity <= 0.0 {
            continue;
        }
        let (base, height) = sway[i].unwrap_or((b.min.y, 1.0));
        let amount = if sway[i].is_some() {
            e.sway.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // Swaying tips move sideways by up to about a third of the height.
        let mut bounds = b.grow(Vec3::new(1.0, 0.1, 1.0) * (amount * 0.4 * height));
        let waves = wave_params(e, frame.wind);
        if waves[0] > 0.0 {
            // Crests rise by the summed amplitudes and lean forward.
            bounds = bounds.grow(Vec3::splat(waves[0] * 2.5));
        }
        let finite3 = |v: Vec3, d: Vec3| if v.is_finite() { v } else { d };
        let finite = |v: f32, d: f32| if v.is_finite() { v } else { d };
        let emissive = finite3(mat.emissive, Vec3::ZERO).max(Vec3::ZERO)
            * finite(mat.emissive_strength, 0.0).max(0.0);
        let raw = InstanceRaw {
            model: cols4(models[i]),
            normal: normal_cols(models[i]),
            color: finite3(mat.base_color, Vec3::splat(0.8))
                .clamp(Vec3::ZERO, Vec3::ONE)
                .extend(opacity)
                .to_array(),
            emissive: emissive
                .extend(finite(mat.roughness, 0.6).clamp(0.0, 1.0))
                .to_array(),
            params: Vec4::new(
                finite(mat.metallic, 0.0).clamp(0.0, 1.0),
                amount,
                base,
                height,
            )
            .to_array(),
            ident: {
                let [a, b, c] = pack_waves(waves);
                [i as u32 + 1, a, b, c]
            },
        };
        plan.scene_bounds = Some(plan.scene_bounds.map_or(bounds, |s| s.union(bounds)));
        let ground = matches!(e.shape, Shape::Plane { .. } | Shape::Heightfield { .. })
            || (b.max - b.min).max_element() > FOCUS_MAX_SIZE;
        if !ground {
            plan.focus_bounds = Some(plan.focus_bounds.map_or(bounds, |s| s.union(bounds)));
        }
        // Mirrored transforms flip the winding: draw those two-sided.
        let cull = mesh.closed && models[i].determinant() > 0.0;
        let (seen, shadow_mesh) = mesh.at_distance(&models[i], &b, cam);
        items.push(Item {
            index: i,
            mesh: seen,
            shadow_mesh,
            bounds,
            raw,
            opacity,
            cull,
        });
    }

    // Camera view: opaque grouped by mesh, then transparent far to near.
    let mut opaque: Vec<&Item> = Vec::new();
    let mut transparent: Vec<(f32, &Item)> = Vec::new();
    for it in &items {
        if !box_in_planes(&planes, &it.bounds) {
            continue;
        }
        if it.opacity >= OPAQUE {
            opaque.push(it);
        } else {
            let d = it.bounds.centre().distance_squared(cam.position);
            transparent.push((d, it));
        }
    }
    // Near to far, meshes by their nearest instance and instances within
    // each, so that depth testing spares hidden fragments their shading:
    // crowns overlap a lot.
    let near = |it: &Item| it.bounds.centre().distance_squared(cam.position).to_bits();
    let mut nearest: HashMap<u32, u32> = HashMap::new();
    for it in &opaque {
        let d = nearest.entry(it.mesh.id).or_insert(u32::MAX);
        *d = (*d).min(near(it));
    }
    opaque.sort_by_cached_key(|it| {
        (
            !it.cull,
            nearest[&it.mesh.id],
            it.mesh.id,
            near(it),
            it.index,
        )
    });
    transparent.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.index.cmp(&b.1.index)));
    plan.opaque = push_runs(&mut plan.instances, opaque.iter().copied(), true, false);
    plan.transparent = push_runs(
        &mut plan.instances,
        transparent.iter().map(|(_, it)| *it),
        false,
        false,
    );
    plan.items = items;
    plan
}

impl ScenePlan {
    /// Appends the shadow casters seen by a light (its view-projection):
    /// opaque entities and nearly opaque transparent ones.
    pub fn add_shadow_casters(&mut self, light_view_proj: &Mat4) {
        let planes = side_planes(light_view_proj);
        let mut casters: Vec<&Item> = self
            .items
            .iter()
            .filter(|it| it.opacity >= SHADOW_OPACITY && box_in_planes(&planes, &it.bounds))
            .collect();
        casters.sort_by_key(|it| (it.shadow_mesh.id, it.index));
        // Shadows are drawn two-sided: thin open shapes must cast too.
        self.shadow = push_runs(&mut self.instances, casters.into_iter(), true, true);
        for r in &mut self.shadow {
            r.cull = false;
        }
    }
}

/// The four side planes of a projection (x and y within clip bounds).
fn side_planes(m: &Mat4) -> [Vec4; 4] {
    let (r0, r1, r3) = (m.row(0), m.row(1), m.row(3));
    let norm = |p: Vec4| p / p.truncate().length().max(1e-12);
    [norm(r3 + r0), norm(r3 - r0), norm(r3 + r1), norm(r3 - r1)]
}

/// Appends instances and returns runs of the same mesh and cull mode;
/// `merge` false keeps every instance its own run (sorted order matters);
/// `shadow` draws each item's shadow mesh.
fn push_runs<'a>(
    out: &mut Vec<InstanceRaw>,
    items: impl Iterator<Item = &'a Item>,
    merge: bool,
    shadow: bool,
) -> Vec<DrawRun> {
    let mut runs: Vec<DrawRun> = Vec::new();
    for it in items {
        let first = out.len() as u32;
        out.push(it.raw);
        let mesh = if shadow { it.shadow_mesh } else { it.mesh };
        match runs.last_mut() {
            Some(r) if merge && r.mesh == mesh.id && r.cull == it.cull => r.count += 1,
            _ => runs.push(DrawRun {
                mesh: mesh.id,
                first,
                count: 1,
                cull: it.cull,
                surface: mesh.surface,
            }),
        }
    }
    runs
}

#[cfg(test)]
mod wave_tests {
    use super::*;

    #[test]
    fn wave_parameters_pack_and_unpack() {
        let [a, l, packed] = pack_waves([0.25, 6.0, -2.0, 1.234]);
        assert_eq!((f32::from_bits(a), f32::from_bits(l)), (0.25, 6.0));
        // As mesh.wgsl unpacks them.
        let angle = (packed & 0xffff) as f32 / 65535.0 * std::f32::consts::TAU;
        let drift = (packed >> 16) as f32 / 1000.0;
        assert!((libm::cosf(angle) - libm::cosf(-2.0)).abs() < 1e-3);
        assert!((libm::sinf(angle) - libm::sinf(-2.0)).abs() < 1e-3);
        assert!((drift - 1.234).abs() < 1e-3);
        assert_eq!(pack_waves([0.0, 6.0, 1.0, 1.0]), [0; 3]);
    }
}

#[cfg(test)]
mod thinning_tests {
    use super::*;
    use crate::sim::frame::CameraView;

    #[test]
    fn far_foliage_draws_thinned_and_its_shadow_one_step_thinner() {
        let cam = CameraRig::new(
            &CameraView {
                position: Vec3::new(0.0, 0.0, 10.0),
                target: Vec3::ZERO,
                fov: 60.0,
            },
            640,
            360,
        );
        let unit = Aabb::new(Vec3::splat(-1.0), Vec3::ONE);
        let crown = MeshRef {
            id: 7,
            bounds: unit,
            closed: false,
            surface: false,
            thinned: Some(Thinned {
                card_size: 0.4,
                ids: [8, 9],
            }),
        };
        let at = |z: f32| {
            let model = Mat4::from_translation(Vec3::new(0.0, 0.0, -z));
            let b = unit.transformed(&model);
            let (seen, shadow) = crown.at_distance(&model, &b, &cam);
            (seen.id, shadow.id)
        };
        // 0.4 m cards 2 m away span ~50 px: full; ~30 m away a few px.
        assert_eq!(at(-8.0), (7, 8));
        assert_eq!(at(10.0), (8, 9));
        assert_eq!(at(40.0), (9, 9));
        // Meshes without cards are always drawn whole.
        let solid = MeshRef {
            thinned: None,
            ..crown
        };
        let m = Mat4::from_translation(Vec3::new(0.0, 0.0, -40.0));
        let (a, b) = solid.at_distance(&m, &unit.transformed(&m), &cam);
        assert_eq!((a.id, b.id), (7, 7));
    }
}
