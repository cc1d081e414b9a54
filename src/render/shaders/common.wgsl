// Shared by every scene shader: the per-frame globals, the sky, fog and
// lighting helpers. Must match `Globals` in src/render/globals.rs.

struct PointLight {
    // xyz position, w range (metres)
    position_range: vec4<f32>,
    // rgb colour times intensity, w 1 for a spot light
    color_spot: vec4<f32>,
    // xyz direction the spot points, w cosine of the outer cone
    direction_cos_outer: vec4<f32>,
    // x cosine of the inner cone
    cone: vec4<f32>,
};

struct Globals {
    view_proj: mat4x4<f32>,
    inv_view_proj: mat4x4<f32>,
    light_view_proj: mat4x4<f32>,
    // xyz camera position, w time in seconds
    camera_pos: vec4<f32>,
    camera_right: vec4<f32>,
    camera_up: vec4<f32>,
    // xyz forward, w radians per pixel (vertically)
    camera_forward: vec4<f32>,
    // width, height, 1/width, 1/height
    viewport: vec4<f32>,
    // key light: xyz towards the light, w 1 when it casts shadows
    key_dir: vec4<f32>,
    // rgb irradiance, w world size of a shadow texel
    key_color: vec4<f32>,
    // second directional light without shadows (moon or another sun)
    fill_dir: vec4<f32>,
    fill_color: vec4<f32>,
    // w: sky kind (0 gradient, 1 flat colour, 2 underwater)
    sky_zenith: vec4<f32>,
    // w: star brightness
    sky_horizon: vec4<f32>,
    // horizon colour towards the sun; w: strength of the glow around the sun
    sky_horizon_sun: vec4<f32>,
    sky_ground: vec4<f32>,
    // rgb disc radiance, w cosine of the disc radius
    sun_disc: vec4<f32>,
    // xyz towards the sun in the sky, w 1 when the disc is drawn
    sun_sky_dir: vec4<f32>,
    // xyz towards the moon, w brightness (0 hides it)
    moon_dir: vec4<f32>,
    ambient_up: vec4<f32>,
    ambient_down: vec4<f32>,
    // density per metre, height where it starts thinning, thinning length,
    // distance used for the sky
    fog: vec4<f32>,
    // rgb lit fog colour, w forward scattering towards the key light
    fog_color: vec4<f32>,
    // x shadow taps, y shadow texel in uv, z point light count, w ambient
    // occlusion taps
    counts: vec4<f32>,
    // xyz wind velocity at the scene's centre, w time
    wind: vec4<f32>,
    // The air sampled along the wind (sim::WindLine): xyz middle of the line
    wind_origin: vec4<f32>,
    // xyz unit direction of the line, w metres between samples
    wind_axis: vec4<f32>,
    wind_samples: array<vec4<f32>, 16>,
    lights: array<PointLight, 8>,
    // the sky as reflections see it: zenith, horizon, horizon towards the sun
    sky_reflected: array<vec4<f32>, 3>,
    // x 1 when the physical sky is drawn, y weight of the gradient sky
    // beside it, z Mie asymmetry, w multiple-scattering share
    sky_model: vec4<f32>,
    // scattered light per view elevation row: Rayleigh rows, then Mie rows
    sky_table: array<vec4<f32>, 240>,
};

@group(0) @binding(0) var<uniform> globals: Globals;

// The air where `p` stands, interpolated along the sampled line, so gusts
// sweep across a field instead of bending it all at once.
fn wind_at(p: vec3<f32>) -> vec3<f32> {
    let last = 15.0;
    let s = clamp(dot(p - globals.wind_origin.xyz, globals.wind_axis.xyz) / max(globals.wind_axis.w, 0.1) + last * 0.5, 0.0, last);
    let i = min(u32(floor(s)), 14u);
    let f = s - f32(i);
    return mix(globals.wind_samples[i].xyz, globals.wind_samples[i + 1u].xyz, f);
}

const PI: f32 = 3.14159265;

fn saturate(x: f32) -> f32 {
    return clamp(x, 0.0, 1.0);
}

fn luminance(c: vec3<f32>) -> f32 {
    return dot(c, vec3<f32>(0.2126, 0.7152, 0.0722));
}

// A sky gradient: zenith to horizon, the horizon warmer towards the sun.
// Above the horizon only (y >= 0).
fn gradient_sky(dir: vec3<f32>, zenith: vec3<f32>, horizon: vec3<f32>, horizon_sun: vec3<f32>) -> vec3<f32> {
    let flat_len = length(dir.xz);
    let sun_flat = globals.sun_sky_dir.xz;
    var towards_sun = 0.0;
    if (flat_len > 1e-4 && length(sun_flat) > 1e-4) {
        towards_sun = dot(dir.xz / flat_len, normalize(sun_flat)) * 0.5 + 0.5;
    }
    let glow = towards_sun * towards_sun * towards_sun;
    let t = pow(1.0 - max(dir.y, 0.0), 5.0);
    return mix(zenith, mix(horizon, horizon_sun, glow), t);
}

// The hand-tuned sky.
fn sky_palette(dir: vec3<f32>) -> vec3<f32> {
    return gradient_sky(dir, globals.sky_zenith.rgb, globals.sky_horizon.rgb, globals.sky_horizon_sun.rgb);
}

// The physical sky (render/atmosphere.rs): the table holds light scattered
// along view rays by elevation (rows) and azimuth from the sun (columns);
// the phase functions give its shape around the sun. Above the horizon.
const SKY_ROWS: u32 = 24u;
const SKY_COLS: u32 = 5u;

fn sky_lookup(base: u32, r: u32, c: u32, tr: f32, tc: f32) -> vec3<f32> {
    let a = mix(globals.sky_table[base + c * SKY_ROWS + r].rgb, globals.sky_table[base + c * SKY_ROWS + r + 1u].rgb, tr);
    let b = mix(globals.sky_table[base + (c + 1u) * SKY_ROWS + r].rgb, globals.sky_table[base + (c + 1u) * SKY_ROWS + r + 1u].rgb, tr);
    return mix(a, b, tc);
}

fn sky_physical(dir: vec3<f32>) -> vec3<f32> {
    let fr = sqrt(clamp(dir.y, 0.0, 1.0)) * f32(SKY_ROWS - 1u);
    let r = min(u32(fr), SKY_ROWS - 2u);
    let flat_len = length(dir.xz);
    let sun_flat = globals.sun_sky_dir.xz;
    var cos_az = 1.0;
    if (flat_len > 1e-5 && length(sun_flat) > 1e-5) {
        cos_az = clamp(dot(dir.xz / flat_len, normalize(sun_flat)), -1.0, 1.0);
    }
    let fc = acos(cos_az) / PI * f32(SKY_COLS - 1u);
    let c = min(u32(fc), SKY_COLS - 2u);
    let tr = fr - f32(r);
    let tc = fc - f32(c);
    let rayleigh = sky_lookup(0u, r, c, tr, tc);
    let mie = sky_lookup(SKY_ROWS * SKY_COLS, r, c, tr, tc);
    let mu = dot(dir, globals.sun_sky_dir.xyz);
    let g = globals.sky_model.z;
    let ray_phase = 3.0 / (16.0 * PI) * (1.0 + mu * mu);
    let denom = max(1.0 + g * g - 2.0 * g * mu, 1e-4);
    let mie_phase = 3.0 / (8.0 * PI) * (1.0 - g * g) / (2.0 + g * g) * (1.0 + mu * mu) / (denom * sqrt(denom));
    return rayleigh * (ray_phase + globals.sky_model.w / (4.0 * PI)) + mie * mie_phase;
}

// Sky colour without the sun, moon and stars, as the sky pass draws it.
// Below the horizon it fades to the ground colour.
fn sky_gradient(dir: vec3<f32>) -> vec3<f32> {
    let kind = globals.sky_zenith.w;
    if (kind > 0.5 && kind < 1.5) {
        return globals.sky_zenith.rgb;
    }
    let up = vec3<f32>(dir.x, max(dir.y, 0.0), dir.z);
    var c = sky_palette(up);
    if (globals.sky_model.x > 0.5) {
        c = c * globals.sky_model.y + sky_physical(up);
    }
    if (dir.y >= 0.0) {
        return c;
    }
    return mix(c, globals.sky_ground.rgb, smoothstep(0.0, 0.2, -dir.y));
}

// What shiny surfaces reflect: the sky fitted to the gradient's shape
// (cheap per pixel), fading to the ground colour below the horizon.
fn sky_reflected(dir: vec3<f32>) -> vec3<f32> {
    let kind = globals.sky_zenith.w;
    if (kind > 0.5 && kind < 1.5) {
        return globals.sky_zenith.rgb;
    }
    let r = globals.sky_reflected;
    let c = gradient_sky(dir, r[0].rgb, r[1].rgb, r[2].rgb);
    if (dir.y >= 0.0) {
        return c;
    }
    return mix(c, globals.sky_ground.rgb, smoothstep(0.0, 0.2, -dir.y));
}

fn hash3(p: vec3<f32>) -> f32 {
    let q = fract(p * vec3<f32>(0.1031, 0.1030, 0.0973));
    let r = q + dot(q, q.yxz + 33.33);
    return fract((r.x + r.y) * r.z);
}

fn hash3v(p: vec3<f32>) -> vec3<f32> {
    var q = fract(p * vec3<f32>(0.1031, 0.1030, 0.0973));
    q = q + dot(q, q.yxz + 33.33);
    return fract((q.xxy + q.yxx) * q.zyx);
}

fn stars(dir: vec3<f32>) -> vec3<f32> {
    let strength = globals.sky_horizon.w;
    if (strength <= 0.0 || dir.y < -0.02) {
        return vec3<f32>(0.0);
    }
    // One candidate star per cell of a 3D grid around the unit sphere.
    let cells = 160.0;
    let p = dir * cells;
    let cell = floor(p);
    let h = hash3(cell);
    if (h < 0.975) {
        return vec3<f32>(0.0);
    }
    let centre = cell + 0.2 + 0.6 * hash3v(cell + 17.0);
    let d = length(p - centre);
    // Radius in cells; about two pixels at usual fields of view.
    let radius = max(0.12, globals.camera_forward.w * cells * 0.8);
    let bright = pow((h - 0.975) / 0.025, 4.0) * 2.5 + 0.2;
    let twinkle = 0.8 + 0.2 * sin(globals.camera_pos.w * (2.0 + 4.0 * h) + h * 100.0);
    let tint = mix(vec3<f32>(0.75, 0.85, 1.0), vec3<f32>(1.0, 0.9, 0.75), hash3(cell + 5.0));
    let fade = smoothstep(-0.02, 0.15, dir.y);
    return tint * bright * twinkle * fade * strength * (1.0 - smoothstep(0.0, radius, d));
}

// The full sky seen along `dir`.
fn sky_color(dir: vec3<f32>) -> vec3<f32> {
    var c = sky_gradient(dir);
    let kind = globals.sky_zenith.w;
    if (kind > 0.5) {
        return c;
    }
    c = c + stars(dir);
    if (globals.sun_sky_dir.w > 0.5) {
        let mu = dot(dir, globals.sun_sky_dir.xyz);
        let cos_r = globals.sun_disc.w;
        let disc = smoothstep(cos_r - 0.00004, cos_r + 0.00002, mu);
        c = c + globals.sun_disc.rgb * disc;
        // Glow around the sun: a narrow halo and a wide one.
        let g = max(mu, 0.0);
        let halo = pow(g, 400.0) * 0.6 + pow(g, 12.0) * 0.12;
        c = c + globals.sky_horizon_sun.rgb * globals.sky_horizon_sun.w * halo;
    }
    let moon = globals.moon_dir.w;
    if (moon > 0.0) {
        let mu = dot(dir, globals.moon_dir.xyz);
        let cos_r = 0.99966; // about 1.5 degrees: larger than life, readable
        let disc = smoothstep(cos_r - 0.00003, cos_r + 0.00003, mu);
        // Shade the disc a little so it reads as a sphere.
        let off = dir - globals.moon_dir.xyz * mu;
        let limb = 1.0 - saturate(length(off) / 0.026);
        let moon_col = vec3<f32>(0.9, 0.92, 1.0) * moon * (0.75 + 0.25 * limb);
        c = mix(c, moon_col, disc);
        let g = max(mu, 0.0);
        c = c + vec3<f32>(0.5, 0.6, 0.8) * moon * (pow(g, 800.0) * 0.15 + pow(g, 60.0) * 0.02);
    }
    return c;
}

// Mean of the fog density profile over a straight segment between heights
// y0 and y1: 1 below `h`, exp(-(y - h) / l) above.
fn fog_profile_mean(y0: f32, y1: f32, h: f32, l: f32) -> f32 {
    let lo = min(y0, y1);
    let hi = max(y0, y1);
    let dy = hi - lo;
    if (dy < 1e-3) {
        let y = 0.5 * (lo + hi);
        if (y <= h) {
            return 1.0;
        }
        return exp(-(y - h) / l);
    }
    let below = clamp(h - lo, 0.0, dy);
    var above = 0.0;
    if (hi > h) {
        let a = max(lo, h);
        above = l * (exp(-(a - h) / l) - exp(-(hi - h) / l));
    }
    return (below + above) / dy;
}

fn fog_amount(from_pos: vec3<f32>, to_pos: vec3<f32>) -> f32 {
    let density = globals.fog.x;
    if (density <= 0.0) {
        return 0.0;
    }
    let dist = length(to_pos - from_pos);
    let mean = fog_profile_mean(from_pos.y, to_pos.y, globals.fog.y, globals.fog.z);
    return 1.0 - exp(-density * dist * mean);
}

fn fog_tint(view_dir: vec3<f32>) -> vec3<f32> {
    let mu = max(dot(view_dir, globals.key_dir.xyz), 0.0);
    let scatter = pow(mu, 8.0) * globals.fog_color.w;
    return globals.fog_color.rgb + globals.key_color.rgb * scatter * 0.15;
}

fn apply_fog(c: vec3<f32>, world: vec3<f32>) -> vec3<f32> {
    let cam = globals.camera_pos.xyz;
    let f = fog_amount(cam, world);
    if (f <= 0.0) {
        return c;
    }
    let dir = normalize(world - cam);
    return mix(c, fog_tint(dir), f);
}

fn hemisphere_ambient(n: vec3<f32>) -> vec3<f32> {
    return mix(globals.ambient_down.rgb, globals.ambient_up.rgb, n.y * 0.5 + 0.5);
}

// Smooth window so a light's reach ends at its range without a seam.
fn range_falloff(dist: f32, range: f32) -> f32 {
    let r = dist / max(range, 1e-3);
    let w = saturate(1.0 - r * r * r * r);
    return w * w / (dist * dist + 0.1);
}

// Irradiance from point and spot light `i` at `world`, and the direction
// towards it.
fn point_light(i: u32, world: vec3<f32>) -> vec4<f32> {
    let light = globals.lights[i];
    let to_light = light.position_range.xyz - world;
    let dist = length(to_light);
    let l = to_light / max(dist, 1e-4);
    var atten = range_falloff(dist, light.position_range.w);
    if (light.color_spot.w > 0.5) {
        let cos_a = dot(-l, light.direction_cos_outer.xyz);
        atten = atten * smoothstep(light.direction_cos_outer.w, light.cone.x, cos_a);
    }
    return vec4<f32>(l, atten);
}
