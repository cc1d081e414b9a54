// Entity meshes: shaded colour pass, shadow depth pass and the analysis
// (entity id + distance) pass. Appended to common.wgsl.

@group(0) @binding(1) var shadow_map: texture_depth_2d;
@group(0) @binding(2) var shadow_sampler: sampler_comparison;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) m0: vec4<f32>,
    @location(3) m1: vec4<f32>,
    @location(4) m2: vec4<f32>,
    @location(5) m3: vec4<f32>,
    @location(6) n0: vec4<f32>,
    @location(7) n1: vec4<f32>,
    @location(8) n2: vec4<f32>,
    // rgb base colour, a opacity
    @location(9) color: vec4<f32>,
    // rgb emitted radiance, a roughness
    @location(10) emissive: vec4<f32>,
    // metallic, sway amount, sway base height, sway height
    @location(11) params: vec4<f32>,
    // x entity index + 1, yzw water waves (packed: see unpack_waves) on
    // surface meshes; on others y holds flags (bit 0: ambient occlusion
    // leaves it alone, see scene.rs UNOCCLUDED)
    @location(12) ident: vec4<u32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec4<f32>,
    @location(3) emissive: vec4<f32>,
    @location(4) metallic: f32,
    @location(5) @interpolate(flat) ident: u32,
    @location(6) @interpolate(flat) waves: vec4<f32>,
    @location(7) @interpolate(flat) flags: u32,
};

// Water: a sum of Gerstner waves spread around the direction of travel,
// longest first, shorter ones lower in proportion so the surface is not
// all slopes. The first five move the vertices; all ten (the last two are
// ripples) shape the per-pixel normal, so a coarse mesh still shades like
// a detailed surface. Uneven turns and lengths keep the sum from tiling.
const WAVES: u32 = 10u;
const WAVE_TURN: array<f32, 10> = array<f32, 10>(0.0, 0.5, -0.45, 1.1, -0.9, 0.25, -1.5, 1.7, -0.2, 0.8);
const WAVE_LENGTH: array<f32, 10> = array<f32, 10>(1.0, 0.71, 0.57, 0.43, 0.33, 0.26, 0.19, 0.14, 0.09, 0.061);
const WAVE_AMPLITUDE: array<f32, 10> = array<f32, 10>(1.0, 0.6, 0.43, 0.28, 0.19, 0.13, 0.083, 0.052, 0.03, 0.017);

// Amplitude, wavelength, direction of travel (radians), drift with the
// current (m/s), from an instance's ident (scene.rs: pack_waves).
fn unpack_waves(ident: vec4<u32>) -> vec4<f32> {
    let angle = f32(ident.w & 0xffffu) / 65535.0 * 2.0 * PI;
    return vec4<f32>(bitcast<f32>(ident.y), bitcast<f32>(ident.z), angle, f32(ident.w >> 16u) / 1000.0);
}

struct WaveSample {
    offset: vec3<f32>,
    normal: vec3<f32>,
};

// `footprint`: metres a pixel covers there; waves much shorter than that
// fade out instead of shimmering.
fn waves_at(p: vec2<f32>, w: vec4<f32>, count: u32, footprint: f32) -> WaveSample {
    let t = globals.wind.w;
    var out: WaveSample;
    out.offset = vec3<f32>(0.0);
    var slope = vec2<f32>(0.0);
    var lift = 0.0;
    for (var i = 0u; i < count; i = i + 1u) {
        let angle = w.z + WAVE_TURN[i];
        let d = vec2<f32>(cos(angle), sin(angle));
        let len = max(w.y * WAVE_LENGTH[i], 0.01);
        let k = 2.0 * PI / len;
        let fade = smoothstep(4.0, 12.0, len / max(footprint, 1e-4));
        let a = w.x * WAVE_AMPLITUDE[i] * fade;
        // Deep-water speed, carried along by the current.
        let speed = sqrt(9.81 / k) + w.w;
        let phase = k * (dot(d, p) - speed * t) + f32(i) * 2.39;
        // Horizontal sway makes sharp crests and broad troughs; capped so
        // that crests never fold over.
        let lean = min(a, 0.6 / (5.0 * k));
        let s = sin(phase);
        let c = cos(phase);
        out.offset = out.offset + vec3<f32>(d.x * lean * c, a * s, d.y * lean * c);
        slope = slope + d * (k * a * c);
        lift = lift + k * lean * s;
    }
    out.normal = normalize(vec3<f32>(-slope.x, 1.0 - lift, -slope.y));
    return out;
}

// Foliage bends away from the air where it stands, more the higher it is
// above its base, with a small flutter so it never looks frozen.
fn sway(world: vec3<f32>, params: vec4<f32>) -> vec3<f32> {
    let amount = params.y;
    if (amount <= 0.0) {
        return vec3<f32>(0.0);
    }
    let height = max(params.w, 0.05);
    let h = clamp((world.y - params.z) / height, 0.0, 1.5);
    let t = globals.wind.w;
    let air = wind_at(world);
    let wind = vec3<f32>(air.x, 0.0, air.z);
    let speed = length(wind);
    var dir = vec3<f32>(1.0, 0.0, 0.0);
    if (speed > 1e-4) {
        dir = wind / speed;
    }
    let phase = dot(world.xz, vec2<f32>(0.37, 0.23)) + params.z * 0.7;
    let bend = amount * min(speed * 0.035, 0.3) * (1.0 + 0.2 * sin(t * 1.7 + phase));
    let flutter_amp = amount * (0.012 + 0.004 * min(speed, 10.0));
    let flutter = vec3<f32>(
        sin(t * 2.3 + phase * 3.1 + world.y * 1.3),
        0.0,
        cos(t * 1.9 + phase * 2.3 + world.y * 1.1),
    ) * flutter_amp;
    return (dir * bend * h * h + flutter * h) * height;
}

// `surface`: terrain and water (vs_surface): the per-vertex tint over the
// base colour (rgb, a = coverage) and waves. Other meshes skip that work.
fn transform(v: VertexIn, tint: vec4<f32>, surface: bool) -> VertexOut {
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    var world = (model * vec4<f32>(v.position, 1.0)).xyz;
    world = world + sway(world, v.params);
    let normal_m = mat3x3<f32>(v.n0.xyz, v.n1.xyz, v.n2.xyz);
    var normal = normal_m * v.normal;
    var waves = vec4<f32>(0.0);
    var color = v.color;
    if (surface) {
        color = vec4<f32>(mix(v.color.rgb, tint.rgb, saturate(tint.a)), v.color.a);
        waves = unpack_waves(v.ident);
        if (waves.x > 0.0 && normalize(normal).y > 0.5) {
            let wave = waves_at(world.xz, waves, 5u, 0.0);
            world = world + wave.offset;
            normal = wave.normal;
        }
    }
    var out: VertexOut;
    out.world = world;
    out.normal = normal;
    out.waves = waves;
    out.clip = globals.view_proj * vec4<f32>(world, 1.0);
    out.color = color;
    out.emissive = v.emissive;
    out.metallic = v.params.x;
    out.ident = v.ident.x;
    out.flags = select(v.ident.y, 0u, surface);
    return out;
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return transform(v, vec4<f32>(0.0), false);
}

@vertex
fn vs_surface(v: VertexIn, @location(13) tint: vec4<f32>) -> VertexOut {
    return transform(v, tint, true);
}

fn shadow_position(v: VertexIn, surface: bool) -> vec4<f32> {
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    var world = (model * vec4<f32>(v.position, 1.0)).xyz;
    world = world + sway(world, v.params);
    if (surface) {
        let waves = unpack_waves(v.ident);
        let normal = mat3x3<f32>(v.n0.xyz, v.n1.xyz, v.n2.xyz) * v.normal;
        if (waves.x > 0.0 && normalize(normal).y > 0.5) {
            world = world + waves_at(world.xz, waves, 5u, 0.0).offset;
        }
    }
    return globals.light_view_proj * vec4<f32>(world, 1.0);
}

@vertex
fn vs_shadow(v: VertexIn) -> @builtin(position) vec4<f32> {
    return shadow_position(v, false);
}

@vertex
fn vs_shadow_surface(v: VertexIn) -> @builtin(position) vec4<f32> {
    return shadow_position(v, true);
}

const POISSON: array<vec2<f32>, 12> = array<vec2<f32>, 12>(
    vec2<f32>(-0.326, -0.406),
    vec2<f32>(0.442, 0.358),
    vec2<f32>(-0.409, 0.463),
    vec2<f32>(0.395, -0.441),
    vec2<f32>(-0.840, -0.074),
    vec2<f32>(0.962, -0.195),
    vec2<f32>(-0.203, 0.921),
    vec2<f32>(0.185, -0.893),
    vec2<f32>(-0.696, 0.457),
    vec2<f32>(0.507, 0.864),
    vec2<f32>(-0.792, -0.598),
    vec2<f32>(0.896, 0.412),
);

fn shadow_factor(world: vec3<f32>, n: vec3<f32>, ndl: f32) -> f32 {
    if (globals.key_dir.w < 0.5) {
        return 1.0;
    }
    // Normal offset: push the lookup out of the surface by about a texel,
    // more at grazing light, so surfaces do not shadow themselves (acne)
    // without a depth bias large enough to detach shadows (peter-panning).
    let texel_world = globals.key_color.w;
    let offset = n * texel_world * (0.6 + 1.4 * (1.0 - ndl));
    let lp = globals.light_view_proj * vec4<f32>(world + offset, 1.0);
    let uv = vec2<f32>(lp.x * 0.5 + 0.5, 0.5 - lp.y * 0.5);
    if (any(uv < vec2<f32>(0.0)) || any(uv > vec2<f32>(1.0)) || lp.z > 1.0) {
        return 1.0;
    }
    let depth = lp.z;
    let taps = u32(globals.counts.x);
    let texel = globals.counts.y;
    if (taps <= 1u) {
        return textureSampleCompareLevel(shadow_map, shadow_sampler, uv, depth);
    }
    var sum = 0.0;
    let radius = texel * select(1.5, 2.2, taps > 4u);
    for (var i = 0u; i < taps; i = i + 1u) {
        sum = sum + textureSampleCompareLevel(shadow_map, shadow_sampler, uv + POISSON[i] * radius, depth);
    }
    let lit = sum / f32(taps);
    // Fade out towards the edge of the map instead of ending in a line.
    let edge = min(min(uv.x, 1.0 - uv.x), min(uv.y, 1.0 - uv.y));
    return mix(1.0, lit, smoothstep(0.0, 0.03, edge));
}

fn ggx_specular(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, rough: f32, f0: vec3<f32>) -> vec3<f32> {
    let h = normalize(v + l);
    let ndh = max(dot(n, h), 0.0);
    let ndv = max(dot(n, v), 1e-3);
    let ndl = max(dot(n, l), 1e-3);
    let vdh = max(dot(v, h), 0.0);
    let a = rough * rough;
    let a2 = a * a;
    let d = ndh * ndh * (a2 - 1.0) + 1.0;
    let dist = a2 / (PI * d * d + 1e-6);
    let k = (rough + 1.0) * (rough + 1.0) / 8.0;
    let vis = 1.0 / ((ndv * (1.0 - k) + k) * (ndl * (1.0 - k) + k));
    let fresnel = f0 + (vec3<f32>(1.0) - f0) * pow(1.0 - vdh, 5.0);
    return fresnel * dist * vis * 0.25;
}

struct Surface {
    n: vec3<f32>,
    v: vec3<f32>,
    diffuse: vec3<f32>,
    f0: vec3<f32>,
    rough: f32,
};

// Diffuse and specular light kept apart: transparent surfaces let light
// through in proportion to opacity but reflect at full strength.
struct Shade {
    diffuse: vec3<f32>,
    specular: vec3<f32>,
};

fn add_direct(acc: Shade, s: Surface, l: vec3<f32>, irradiance: vec3<f32>) -> Shade {
    var out = acc;
    let ndl = dot(s.n, l);
    if (ndl > 0.0) {
        let e = irradiance * ndl;
        out.diffuse = out.diffuse + s.diffuse / PI * e;
        out.specular = out.specular + ggx_specular(s.n, s.v, l, s.rough, s.f0) * e;
    }
    return out;
}

struct Shaded {
    color: vec3<f32>,
    alpha: f32,
    // Share of the colour that is ambient light (what occlusion dims).
    ambient: f32,
};

fn shade(in: VertexOut, front: bool) -> Shaded {
    var n = normalize(in.normal);
    if (!front) {
        n = -n;
    }
    let cam = globals.camera_pos.xyz;
    if (in.waves.x > 0.0 && n.y > 0.3) {
        let footprint = length(cam - in.world) * globals.camera_forward.w;
        n = waves_at(in.world.xz, in.waves, WAVES, footprint).normal;
    }
    let v = normalize(cam - in.world);
    let base = in.color.rgb;
    let metallic = saturate(in.metallic);
    var s: Surface;
    s.n = n;
    s.v = v;
    s.diffuse = base * (1.0 - metallic);
    s.f0 = mix(vec3<f32>(0.04), base, metallic);
    s.rough = clamp(in.emissive.a, 0.045, 1.0);

    // Ambient: the sky hemisphere on the diffuse part, and the sky seen in
    // the reflection direction on the specular part, dimmed for rough
    // surfaces since we do not blur it.
    let ndv = max(dot(n, v), 0.0);
    let fresnel = s.f0 + (max(vec3<f32>(1.0 - s.rough), s.f0) - s.f0) * pow(1.0 - ndv, 5.0);
    let r = reflect(-v, n);
    let env = mix(sky_reflected(r), hemisphere_ambient(r), s.rough);
    var acc: Shade;
    acc.diffuse = s.diffuse * hemisphere_ambient(n);
    acc.specular = env * fresnel * (1.0 - s.rough * 0.7);
    let ambient = luminance(acc.diffuse + acc.specular);

    let key_l = globals.key_dir.xyz;
    let key_ndl = dot(n, key_l);
    if (key_ndl > 0.0) {
        let shadow = shadow_factor(in.world, n, key_ndl);
        acc = add_direct(acc, s, key_l, globals.key_color.rgb * shadow);
    }
    acc = add_direct(acc, s, globals.fill_dir.xyz, globals.fill_color.rgb);
    let count = u32(globals.counts.z);
    for (var i = 0u; i < count; i = i + 1u) {
        let pl = point_light(i, in.world);
        if (pl.w > 0.0) {
            acc = add_direct(acc, s, pl.xyz, globals.lights[i].color_spot.rgb * pl.w);
        }
    }

    // Premultiplied alpha; grazing angles reflect more and so hide more of
    // what is behind.
    let opacity = saturate(in.color.a);
    let alpha = saturate(opacity + luminance(fresnel) * (1.0 - opacity));
    var c = acc.diffuse * opacity + acc.specular + in.emissive.rgb;
    var out: Shaded;
    out.ambient = ambient / max(luminance(c), 1e-6);
    let f = fog_amount(cam, in.world);
    c = mix(c, fog_tint(-v) * alpha, f);
    out.color = c;
    out.alpha = alpha;
    // Fog is not occluded, nor are surfaces flagged so.
    out.ambient = clamp(out.ambient * (1.0 - f), 0.0, 1.0);
    if ((in.flags & 1u) != 0u) {
        out.ambient = 0.0;
    }
    return out;
}

@fragment
fn fs_main(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let s = shade(in, front);
    return vec4<f32>(s.color, s.alpha);
}

// Opaque surfaces hand their ambient share to the occlusion composite in
// alpha (nothing blends with them).
@fragment
fn fs_opaque(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let s = shade(in, front);
    return vec4<f32>(s.color, s.ambient);
}

struct AnalysisOut {
    @location(0) ident: u32,
    @location(1) distance: f32,
};

@fragment
fn fs_analysis(in: VertexOut, @builtin(front_facing) front: bool) -> AnalysisOut {
    var out: AnalysisOut;
    // Top bit: the camera sees the back of this surface.
    out.ident = in.ident | select(0x80000000u, 0u, front);
    out.distance = length(in.world - globals.camera_pos.xyz);
    return out;
}
