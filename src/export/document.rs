//! The glTF document: the exporter's samples and the world's static data as
//! gltf-json objects over one binary buffer.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use glam::{Quat, Vec3};
use gltf_json as json;
use json::validation::{Checked::Valid, USize64};
use json::{Index, Root};
use serde_json::{Value, json as js};

use super::keys::{self, Samples};
use super::{ExportSummary, Exporter, Pose};
use crate::render::{ShapeKey, clean, is_closed, shape_key};
use crate::world::mesh::{Mesh, sphere_mesh};
use crate::world::{LightKind, Material, Shape, World};

const EXT_LIGHTS: &str = "KHR_lights_punctual";
const EXT_EMISSIVE: &str = "KHR_materials_emissive_strength";
const EXT_INSTANCING: &str = "EXT_mesh_gpu_instancing";

/// Keys closer than this to the interpolation of their neighbours are
/// dropped: 0.1 mm, 0.1 mrad, 1e-4 of scale.
const TOLERANCE: f32 = 1e-4;

/// A finished document: the JSON part and the binary buffer it points into.
pub struct Document {
    pub root: Root,
    pub bin: Vec<u8>,
    duration: f32,
    particles_left_out: u64,
}

impl Document {
    /// GLB: the JSON chunk and the buffer in one binary container.
    pub fn to_glb(&self) -> Result<Vec<u8>, String> {
        let mut root = self.root.clone();
        if let Some(b) = root.buffers.first_mut() {
            b.uri = None;
        }
        let json = root.to_vec().map_err(|e| e.to_string())?;
        let glb = gltf::binary::Glb {
            header: gltf::binary::Header {
                magic: *b"glTF",
                version: 2,
                // Computed by the writer.
                length: 0,
            },
            json: json.into(),
            bin: (!self.bin.is_empty()).then(|| self.bin.as_slice().into()),
        };
        glb.to_vec().map_err(|e| e.to_string())
    }

    /// `.gltf`: JSON with the buffer embedded as a base64 data URI.
    pub fn to_gltf(&self) -> Result<Vec<u8>, String> {
        let mut root = self.root.clone();
        if let Some(b) = root.buffers.first_mut() {
            b.uri = Some(format!(
                "data:application/octet-stream;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&self.bin)
            ));
        }
        root.to_vec_pretty().map_err(|e| e.to_string())
    }

    pub fn summary(&self, path: &Path, bytes: u64) -> ExportSummary {
        ExportSummary {
            path: path.display().to_string(),
            bytes,
            nodes: self.root.nodes.len(),
            meshes: self.root.meshes.len(),
            animation_channels: self.root.animations.iter().map(|a| a.channels.len()).sum(),
            duration: self.duration,
            particles_left_out: self.particles_left_out,
        }
    }
}

/// The renderer's blend of each vertex tint over `base`, as glTF vertex
/// colours (linear rgb, three floats a vertex).
fn tinted_colors(tints: &[[u8; 4]], base: Vec3) -> Vec<f32> {
    let base = if base.is_finite() {
        base.clamp(Vec3::ZERO, Vec3::ONE)
    } else {
        Vec3::splat(0.8)
    };
    tints
        .iter()
        .flat_map(|t| {
            let [r, g, b, a] = t.map(|v| v as f32 / 255.0);
            base.lerp(Vec3::new(r, g, b), a).to_array()
        })
        .collect()
}

/// Positions accessor, material, and the base colour of baked vertex
/// colours (as bits).
type MeshKey = (u32, u32, Option<[u32; 3]>);

/// Accessors of one tessellated shape.
#[derive(Clone, Copy)]
struct Geometry {
    positions: Index<json::Accessor>,
    normals: Index<json::Accessor>,
    uvs: Index<json::Accessor>,
    indices: Index<json::Accessor>,
}

struct Builder {
    root: Root,
    bin: Vec<u8>,
    fps: f32,
    geometry: HashMap<ShapeKey, Option<Geometry>>,
    materials: HashMap<[u32; 11], Index<json::Material>>,
    /// Keyed by positions, material and, for tinted geometry, the base
    /// colour baked into its vertex colours.
    meshes: HashMap<MeshKey, Index<json::Mesh>>,
    /// Per-vertex tints (terrain bands) by positions accessor.
    tints: HashMap<u32, Vec<[u8; 4]>>,
    /// Time accessors by the frames they list: many channels share one.
    times: HashMap<Vec<u64>, Index<json::Accessor>>,
    channels: Vec<json::animation::Channel>,
    samplers: Vec<json::animation::Sampler>,
}

fn raw(value: Value) -> json::Extras {
    serde_json::value::to_raw_value(&value).ok()
}

fn extensions_of(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

impl Builder {
    /// Appends bytes as a buffer view, 4-byte aligned.
    fn view(
        &mut self,
        bytes: &[u8],
        target: Option<json::buffer::Target>,
    ) -> Index<json::buffer::View> {
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
        let offset = self.bin.len();
        self.bin.extend_from_slice(bytes);
        self.root.push(json::buffer::View {
            buffer: Index::new(0),
            byte_length: USize64::from(bytes.len()),
            byte_offset: Some(USize64::from(offset)),
            byte_stride: None,
            name: None,
            target: target.map(Valid),
            extensions: None,
            extras: None,
        })
    }

    fn accessor(
        &mut self,
        bytes: &[u8],
        count: usize,
        component: json::accessor::ComponentType,
        type_: json::accessor::Type,
        bounds: Option<(Vec<f32>, Vec<f32>)>,
        target: Option<json::buffer::Target>,
    ) -> Index<json::Accessor> {
        let view = self.view(bytes, target);
        let (min, max) = match bounds {
            Some((lo, hi)) => (Some(js!(lo)), Some(js!(hi))),
            None => (None, None),
        };
        self.root.push(json::Accessor {
            buffer_view: Some(view),
            byte_offset: Some(USize64(0)),
            count: USize64::from(count),
            component_type: Valid(json::accessor::GenericComponentType(component)),
            extensions: None,
            extras: None,
            type_: Valid(type_),
            min,
            max,
            name: None,
            normalized: false,
            sparse: None,
        })
    }

    fn floats(
        &mut self,
        values: &[f32],
        type_: json::accessor::Type,
        with_bounds: bool,
        target: Option<json::buffer::Target>,
    ) -> Index<json::Accessor> {
        let width = type_.multiplicity();
        let count = values.len() / width;
        let bounds = with_bounds.then(|| {
            let mut lo = vec![f32::MAX; width];
            let mut hi = vec![f32::MIN; width];
            for chunk in values.chunks(width) {
                for (k, v) in chunk.iter().enumerate() {
                    lo[k] = lo[k].min(*v);
                    hi[k] = hi[k].max(*v);
                }
            }
            (lo, hi)
        });
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.accessor(
            &bytes,
            count,
            json::accessor::ComponentType::F32,
            type_,
            bounds,
            target,
        )
    }

    fn geometry_of(&mut self, mesh: &Mesh) -> Option<Geometry> {
        use json::accessor::Type;
        use json::buffer::Target;
        let (vertices, indices, _) = clean(mesh)?;
        let positions: Vec<f32> = vertices.iter().flat_map(|v| v.position).collect();
        let normals: Vec<f32> = vertices.iter().flat_map(|v| v.normal).collect();
        let uvs: Vec<f32> = vertices
            .iter()
            .flat_map(|v| box_uv(v.position, v.normal))
            .collect();
        let positions = self.floats(&positions, Type::Vec3, true, Some(Target::ArrayBuffer));
        if vertices.iter().any(|v| v.tint[3] > 0) {
            self.tints.insert(
                positions.value() as u32,
                vertices.iter().map(|v| v.tint).collect(),
            );
        }
        let normals = self.floats(&normals, Type::Vec3, false, Some(Target::ArrayBuffer));
        let uvs = self.floats(&uvs, Type::Vec2, false, Some(Target::ArrayBuffer));
        let index_bytes: Vec<u8> = indices.iter().flat_map(|i| i.to_le_bytes()).collect();
        let indices = self.accessor(
            &index_bytes,
            indices.len(),
            json::accessor::ComponentType::U32,
            Type::Scalar,
            None,
            Some(Target::ElementArrayBuffer),
        );
        Some(Geometry {
            positions,
            normals,
            uvs,
            indices,
        })
    }

    fn material(
        &mut self,
        m: &Material,
        double_sided: bool,
        name: Option<String>,
    ) -> Index<json::Material> {
        let b = f32::to_bits;
        let key = [
            b(m.base_color.x),
            b(m.base_color.y),
            b(m.base_color.z),
            b(m.roughness),
            b(m.metallic),
            b(m.emissive.x),
            b(m.emissive.y),
            b(m.emissive.z),
            b(m.emissive_strength),
            b(m.opacity),
            double_sided as u32,
        ];
        if let Some(&i) = self.materials.get(&key) {
            return i;
        }
        let unit = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        let base = m.base_color;
        let opacity = unit(m.opacity);
        let emissive = m.emissive * m.emissive_strength.max(0.0);
        let emissive = if emissive.is_finite() {
            emissive.max(Vec3::ZERO)
        } else {
            Vec3::ZERO
        };
        let peak = emissive.max_element();
        let (factor, strength) = if peak > 1.0 {
            (emissive / peak, Some(peak))
        } else {
            (emissive, None)
        };
        let mut extensions = json::extensions::material::Material::default();
        if let Some(s) = strength {
            extensions.emissive_strength = Some(json::extensions::material::EmissiveStrength {
                emissive_strength: json::extensions::material::EmissiveStrengthFactor(s),
            });
            self.use_extension(EXT_EMISSIVE);
        }
        let name = name
            .or_else(|| m.preset.map(str::to_string))
            .unwrap_or_else(|| format!("material_{}", self.root.materials.len()));
        let index = self.root.push(json::Material {
            alpha_cutoff: None,
            alpha_mode: Valid(if opacity < 1.0 {
                json::material::AlphaMode::Blend
            } else {
                json::material::AlphaMode::Opaque
            }),
            double_sided,
            name: Some(name),
            pbr_metallic_roughness: json::material::PbrMetallicRoughness {
                base_color_factor: json::material::PbrBaseColorFactor([
                    unit(base.x),
                    unit(base.y),
                    unit(base.z),
                    opacity,
                ]),
                base_color_texture: None,
                metallic_factor: json::material::StrengthFactor(unit(m.metallic)),
                roughness_factor: json::material::StrengthFactor(unit(m.roughness)),
                metallic_roughness_texture: None,
                extensions: None,
                extras: None,
            },
            normal_texture: None,
            occlusion_texture: None,
            emissive_texture: None,
            emissive_factor: json::material::EmissiveFactor(factor.to_array()),
            extensions: strength.map(|_| extensions),
            extras: None,
        });
        self.materials.insert(key, index);
        index
    }

    /// `colors`: linear rgb per vertex and the base colour they were made
    /// from (part of the key).
    fn mesh(
        &mut self,
        geometry: Geometry,
        material: Index<json::Material>,
        name: String,
        colors: Option<(&[f32], [u32; 3])>,
    ) -> Index<json::Mesh> {
        let key = (
            geometry.positions.value() as u32,
            material.value() as u32,
            colors.map(|c| c.1),
        );
        if let Some(&m) = self.meshes.get(&key) {
            return m;
        }
        use json::mesh::Semantic;
        let mut attributes = std::collections::BTreeMap::new();
        attributes.insert(Valid(Semantic::Positions), geometry.positions);
        attributes.insert(Valid(Semantic::Normals), geometry.normals);
        attributes.insert(Valid(Semantic::TexCoords(0)), geometry.uvs);
        if let Some((values, _)) = colors {
            let c = self.floats(
                values,
                json::accessor::Type::Vec3,
                false,
                Some(json::buffer::Target::ArrayBuffer),
            );
            attributes.insert(Valid(Semantic::Colors(0)), c);
        }
        let index = self.root.push(json::Mesh {
            extensions: None,
            extras: None,
            name: Some(name),
            primitives: vec![json::mesh::Primitive {
                attributes,
                extensions: None,
                extras: None,
                indices: Some(geometry.indices),
                material: Some(material),
                mode: Valid(json::mesh::Mode::Triangles),
                targets: None,
            }],
            weights: None,
        });
        self.meshes.insert(key, index);
        index
    }

    fn use_extension(&mut self, name: &str) {
        if !self.root.extensions_used.iter().any(|e| e == name) {
            self.root.extensions_used.push(name.to_string());
        }
    }

    fn times(&mut self, frames: Vec<u64>) -> Index<json::Accessor> {
        if let Some(&i) = self.times.get(&frames) {
            return i;
        }
        let seconds: Vec<f32> = frames.iter().map(|&f| f as f32 / self.fps).collect();
        let i = self.floats(&seconds, json::accessor::Type::Scalar, true, None);
        self.times.insert(frames, i);
        i
    }

    fn channel(
        &mut self,
        node: u32,
        path: json::animation::Property,
        interpolation: json::animation::Interpolation,
        frames: Vec<u64>,
        values: &[f32],
    ) {
        let type_ = match path {
            json::animation::Property::Rotation => json::accessor::Type::Vec4,
            _ => json::accessor::Type::Vec3,
        };
        let input = self.times(frames);
        let output = self.floats(values, type_, false, None);
        let sampler = Index::new(self.samplers.len() as u32);
        self.samplers.push(json::animation::Sampler {
            extensions: None,
            extras: None,
            input,
            interpolation: Valid(interpolation),
            output,
        });
        self.channels.push(json::animation::Channel {
            sampler,
            target: json::animation::Target {
                extensions: None,
                extras: None,
                node: Index::new(node),
                path: Valid(path),
            },
            extensions: None,
            extras: None,
        });
    }

    /// Gives `node` its first pose and a channel for each part that moves.
    fn animate(&mut self, node: u32, poses: &[(u64, Pose)]) {
        use json::animation::{Interpolation, Property};
        let Some(&(_, first)) = poses.first() else {
            return;
        };
        let translations: Vec<(u64, Vec3)> =
            poses.iter().map(|(f, p)| (*f, p.translation)).collect();
        let mut rotations: Vec<(u64, Quat)> = poses.iter().map(|(f, p)| (*f, p.rotation)).collect();
        keys::continuous(&mut rotations);
        let scales: Vec<(u64, Vec3)> = poses.iter().map(|(f, p)| (*f, p.scale)).collect();
        let n = &mut self.root.nodes[node as usize];
        n.translation = (first.translation != Vec3::ZERO).then(|| first.translation.to_array());
        n.rotation = (first.rotation != Quat::IDENTITY)
            .then(|| json::scene::UnitQuaternion(first.rotation.to_array()));
        n.scale = (first.scale != Vec3::ONE).then(|| first.scale.to_array());
        if !keys::constant(&translations, TOLERANCE, |a, b| a.distance(*b)) {
            let k = keys::thin(&translations, TOLERANCE, keys::vec3_deviation);
            let values: Vec<f32> = k.iter().flat_map(|(_, v)| v.to_array()).collect();
            let frames = k.iter().map(|(f, _)| *f).collect();
            self.channel(
                node,
                Property::Translation,
                Interpolation::Linear,
                frames,
                &values,
            );
        }
        if !keys::constant(&rotations, TOLERANCE, |a, b| a.angle_between(*b)) {
            let k = keys::thin(&rotations, TOLERANCE, keys::quat_deviation);
            let values: Vec<f32> = k
                .iter()
                .flat_map(|(_, v)| v.normalize().to_array())
                .collect();
            let frames = k.iter().map(|(f, _)| *f).collect();
            self.channel(
                node,
                Property::Rotation,
                Interpolation::Linear,
                frames,
                &values,
            );
        }
        if !keys::constant(&scales, TOLERANCE, |a, b| a.distance(*b)) {
            let k = keys::thin(&scales, TOLERANCE, keys::vec3_deviation);
            let values: Vec<f32> = k.iter().flat_map(|(_, v)| v.to_array()).collect();
            let frames = k.iter().map(|(f, _)| *f).collect();
            self.channel(
                node,
                Property::Scale,
                Interpolation::Linear,
                frames,
                &values,
            );
        }
    }

    fn node(&mut self, name: String) -> u32 {
        let i = self.root.nodes.len() as u32;
        self.root.push(json::Node {
            name: Some(name),
            ..Default::default()
        });
        i
    }
}

/// Texture coordinates projected on the box face the normal points at,
/// one unit per metre.
fn box_uv(p: [f32; 3], n: [f32; 3]) -> [f32; 2] {
    let [x, y, z] = p;
    let (ax, ay, az) = (n[0].abs(), n[1].abs(), n[2].abs());
    if ax >= ay && ax >= az {
        [z, -y]
    } else if ay >= az {
        [x, -z]
    } else {
        [x, -y]
    }
}

fn pose_of(p: (Vec3, Quat)) -> Pose {
    Pose {
        translation: p.0,
        rotation: p.1,
        scale: Vec3::ONE,
    }
}

fn poses(samples: &Samples<(Vec3, Quat)>) -> Vec<(u64, Pose)> {
    samples
        .keys()
        .into_iter()
        .map(|(f, p)| (f, pose_of(p)))
        .collect()
}

/// Node names are the world's names; unnamed entities get their shape's
/// kind and id, and repeats a suffix, so every node can be found by name.
fn unique(name: String, taken: &mut std::collections::BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    let mut k = 2;
    loop {
        let candidate = format!("{name}.{k}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        k += 1;
    }
}

pub(crate) fn build(ex: &Exporter, world: &World) -> Document {
    let mut b = Builder {
        root: Root::default(),
        bin: Vec::new(),
        fps: ex.fps as f32,
        geometry: HashMap::new(),
        materials: HashMap::new(),
        meshes: HashMap::new(),
        tints: HashMap::new(),
        times: HashMap::new(),
        channels: Vec::new(),
        samplers: Vec::new(),
    };
    let mut taken = std::collections::BTreeSet::new();
    let settings = &world.settings;
    let last_frame = ex.frames.saturating_sub(1);
    let duration = last_frame as f32 / b.fps;
    b.root.asset = json::Asset {
        copyright: None,
        extensions: None,
        extras: None,
        generator: Some(format!("code2worlds {}", env!("CARGO_PKG_VERSION"))),
        min_version: None,
        version: "2.0".into(),
    };

    // Entities: node i is entity i.
    for (i, track) in ex.entities.iter().enumerate() {
        let e = &world.entities[i];
        let name = e
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}", e.shape.kind_name(), e.id.0));
        let name = unique(name, &mut taken);
        b.node(name.clone());
        let mut extras = js!({ "entity": e.id.0 });
        if !e.tags.is_empty() {
            extras["tags"] = js!(e.tags);
        }
        b.root.nodes[i].extras = raw(extras);
        if track.ever_visible && !matches!(e.shape, Shape::Group) {
            let key = shape_key(&e.shape);
            let geometry = match b.geometry.get(&key) {
                Some(g) => *g,
                None => {
                    let g = b.geometry_of(&crate::world::mesh::tessellate(&e.shape));
                    b.geometry.insert(key, g);
                    g
                }
            };
            if let Some(g) = geometry {
                // Tinted vertices (terrain bands) carry their final colour
                // as COLOR_0 under a white material, since glTF multiplies
                // the two where the renderer blends the tint over the base.
                let tinted = b.tints.get(&(g.positions.value() as u32)).map(|tints| {
                    let base = track.material.base_color;
                    tinted_colors(tints, base)
                });
                let mut material = track.material.clone();
                if tinted.is_some() {
                    material.base_color = Vec3::ONE;
                }
                let base = tinted
                    .as_ref()
                    .map(|_| track.material.base_color.to_array().map(f32::to_bits));
                let material = b.material(&material, !is_closed(&e.shape), None);
                let mesh = b.mesh(
                    g,
                    material,
                    e.shape.kind_name().to_string(),
                    tinted.as_deref().zip(base),
                );
                b.root.nodes[i].mesh = Some(mesh);
            }
        }
    }
    for (i, track) in ex.entities.iter().enumerate() {
        let keys = track.poses.keys();
        b.animate(i as u32, &keys);
        if let Some(p) = track.parent {
            let children = b.root.nodes[p].children.get_or_insert_with(Vec::new);
            children.push(Index::new(i as u32));
        }
    }
    let mut roots: Vec<u32> = (0..ex.entities.len() as u32)
        .filter(|&i| ex.entities[i as usize].parent.is_none())
        .collect();

    // The camera.
    let camera = b.root.push(json::Camera {
        name: Some("camera".into()),
        orthographic: None,
        perspective: Some(json::camera::Perspective {
            aspect_ratio: ex.options().aspect_ratio,
            yfov: ex.fov.clamp(1.0, 179.0).to_radians(),
            zfar: Some(5000.0),
            znear: 0.05,
            extensions: None,
            extras: None,
        }),
        type_: Valid(json::camera::Type::Perspective),
        extensions: None,
        extras: None,
    });
    let cam_node = b.node(unique("camera".into(), &mut taken));
    b.root.nodes[cam_node as usize].camera = Some(camera);
    b.animate(cam_node, &poses(&ex.camera));
    roots.push(cam_node);

    // Lights.
    use json::extensions::scene::khr_lights_punctual as punctual;
    let mut lights = Vec::new();
    for (i, light) in ex.first_lights.iter().enumerate() {
        let (type_, range, spot) = match &light.kind {
            LightKind::Sun { .. } => (punctual::Type::Directional, None, None),
            LightKind::Point { range, .. } => (punctual::Type::Point, Some(*range), None),
            LightKind::Spot {
                angle,
                softness,
                range,
                ..
            } => {
                let outer = angle.to_radians().clamp(0.01, std::f32::consts::FRAC_PI_2);
                let inner = (outer * (1.0 - softness.clamp(0.0, 1.0))).min(outer * 0.999);
                (
                    punctual::Type::Spot,
                    Some(*range),
                    Some(punctual::Spot {
                        inner_cone_angle: inner.max(0.0),
                        outer_cone_angle: outer,
                    }),
                )
            }
        };
        let name = light.name.clone().unwrap_or_else(|| format!("light_{i}"));
        let c = light.color;
        lights.push(punctual::Light {
            color: [c.x, c.y, c.z].map(|v| {
                if v.is_finite() {
                    v.clamp(0.0, 1.0)
                } else {
                    1.0
                }
            }),
            extensions: None,
            extras: None,
            intensity: if light.intensity.is_finite() {
                light.intensity.max(0.0)
            } else {
                1.0
            },
            name: Some(name.clone()),
            range: range.filter(|r| r.is_finite() && *r > 0.0),
            spot,
            type_: Valid(type_),
        });
        let node = b.node(unique(name, &mut taken));
        b.root.nodes[node as usize].extensions = Some(json::extensions::scene::Node {
            khr_lights_punctual: Some(punctual::KhrLightsPunctual {
                light: Index::new(i as u32),
            }),
            others: Default::default(),
        });
        if let Some(samples) = ex.lights.get(i) {
            b.animate(node, &poses(samples));
        }
        roots.push(node);
    }
    if !lights.is_empty() {
        b.use_extension(EXT_LIGHTS);
        b.root.extensions = Some(json::extensions::root::Root {
            khr_lights_punctual: Some(json::extensions::root::KhrLightsPunctual { lights }),
            ..Default::default()
        });
    }

    // Particles: a flipbook of instanced frames per emitter.
    if !ex.particles.is_empty() {
        b.use_extension(EXT_INSTANCING);
        let names = crate::measure::trace::emitter_names(world);
        let ball = sphere_mesh(0.5, 8, 4);
        let ball = b.geometry_of(&ball);
        let mut groups: HashMap<usize, (u32, Index<json::Mesh>)> = HashMap::new();
        for shot in &ex.particles {
            let Some(ball) = ball else { break };
            let (group, mesh) = match groups.get(&shot.emitter) {
                Some(g) => *g,
                None => {
                    let name = names
                        .get(shot.emitter)
                        .cloned()
                        .unwrap_or_else(|| format!("emitter_{}", shot.emitter));
                    let [r, g, bl, a] = ex.emitter_colors[shot.emitter].unwrap_or([1.0; 4]);
                    let glow = world
                        .emitters
                        .get(shot.emitter)
                        .is_some_and(|e| e.style.additive());
                    let material = Material {
                        preset: None,
                        base_color: Vec3::new(r, g, bl),
                        roughness: 0.8,
                        metallic: 0.0,
                        emissive: if glow {
                            Vec3::new(r, g, bl)
                        } else {
                            Vec3::ZERO
                        },
                        emissive_strength: if glow { 2.0 } else { 0.0 },
                        opacity: a,
                    };
                    let material = b.material(&material, false, Some(format!("{name} particles")));
                    let mesh = b.mesh(ball, material, format!("{name} particle"), None);
                    let node = b.node(unique(format!("{name} particles"), &mut taken));
                    b.root.nodes[node as usize].extras = raw(js!({ "emitter": name }));
                    roots.push(node);
                    groups.insert(shot.emitter, (node, mesh));
                    (node, mesh)
                }
            };
            let translations: Vec<f32> = shot.positions.iter().flat_map(|p| p.to_array()).collect();
            let scales: Vec<f32> = shot.sizes.iter().flat_map(|&s| [s, s, s]).collect();
            let t = b.floats(&translations, json::accessor::Type::Vec3, false, None);
            let s = b.floats(&scales, json::accessor::Type::Vec3, false, None);
            let group_name = b.root.nodes[group as usize]
                .name
                .clone()
                .unwrap_or_default();
            let node = b.node(unique(
                format!("{group_name} {:04}", shot.frame),
                &mut taken,
            ));
            let n = &mut b.root.nodes[node as usize];
            n.mesh = Some(mesh);
            n.extensions = Some(json::extensions::scene::Node {
                khr_lights_punctual: None,
                others: extensions_of(js!({
                    EXT_INSTANCING: { "attributes": { "TRANSLATION": t.value(), "SCALE": s.value() } }
                })),
            });
            if shot.frame != 0 {
                n.scale = Some([0.0; 3]);
            }
            b.root.nodes[group as usize]
                .children
                .get_or_insert_with(Vec::new)
                .push(Index::new(node));
            // Shown from its frame until the next one.
            let f = shot.frame;
            let mut frames = Vec::new();
            let mut values = Vec::new();
            if f > 0 {
                frames.push(0);
                values.extend([0.0; 3]);
            }
            frames.push(f);
            values.extend([1.0; 3]);
            if f < last_frame {
                frames.push(f + 1);
                values.extend([0.0; 3]);
            }
            if frames.len() > 1 {
                b.channel(
                    node,
                    json::animation::Property::Scale,
                    json::animation::Interpolation::Step,
                    frames,
                    &values,
                );
            }
        }
    }

    if !b.channels.is_empty() {
        let channels = std::mem::take(&mut b.channels);
        let samplers = std::mem::take(&mut b.samplers);
        b.root.push(json::Animation {
            extensions: None,
            extras: None,
            channels,
            name: Some("simulation".into()),
            samplers,
        });
    }
    let env = &world.environment;
    let scene = b.root.push(json::Scene {
        extensions: None,
        extras: raw(js!({
            "fps": ex.fps,
            "frames": ex.frames,
            "duration": duration,
            "seed": settings.seed,
            "sky_color": env.sky_color.to_array(),
            "fog_density": env.fog_density,
        })),
        name: Some("world".into()),
        nodes: roots.into_iter().map(Index::new).collect(),
    });
    b.root.scene = Some(scene);
    while !b.bin.len().is_multiple_of(4) {
        b.bin.push(0);
    }
    if !b.bin.is_empty() {
        b.root.push(json::Buffer {
            byte_length: USize64::from(b.bin.len()),
            name: None,
            uri: None,
            extensions: None,
            extras: None,
        });
    }
    Document {
        root: b.root,
        bin: b.bin,
        duration,
        particles_left_out: ex.particles_left_out,
    }
}
