// Particles: one camera-facing (or tumbling, or stretched) quad per
// particle, drawn after all surfaces with premultiplied alpha. Glowing
// styles write alpha 0, which makes the same blend additive.
// Appended to common.wgsl.

struct ParticleIn {
    // xyz position, w diameter
    @location(0) pos_size: vec4<f32>,
    // linear rgb (already scaled by glow for emissive styles), a opacity
    @location(1) color: vec4<f32>,
    // xyz velocity, w style: 0 soft dot, 1 streak, 2 leaf, 3 glow,
    // 4 glowing streak, 5 puff, 6 bubble
    @location(2) vel_style: vec4<f32>,
    // xyz tumbling axis, w angle (radians)
    @location(3) axis_angle: vec4<f32>,
};

struct ParticleOut {
    @builtin(position) clip: vec4<f32>,
    // quad coordinates in -1..1
    @location(0) uv: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) @interpolate(flat) style: u32,
};

fn rotate(v: vec3<f32>, axis: vec3<f32>, angle: f32) -> vec3<f32> {
    let c = cos(angle);
    let s = sin(angle);
    return v * c + cross(axis, v) * s + axis * dot(axis, v) * (1.0 - c);
}

@vertex
fn vs_particle(@builtin(vertex_index) vi: u32, p: ParticleIn) -> ParticleOut {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    let uv = corners[vi];
    let style = u32(p.vel_style.w + 0.5);
    let centre = p.pos_size.xyz;
    let cam = globals.camera_pos.xyz;
    let to_cam = cam - centre;
    let dist = max(length(to_cam), 1e-3);
    var half = 0.5 * p.pos_size.w;
    var alpha = p.color.a;
    // Keep tiny particles at least about a pixel wide, trading size for
    // opacity so they do not flicker in and out.
    let pixel = globals.camera_forward.w * dist;
    let min_half = 0.75 * pixel;
    var right = globals.camera_right.xyz;
    var up = globals.camera_up.xyz;
    var normal = normalize(to_cam);
    var offset = vec3<f32>(0.0);
    if (style == 1u || style == 4u) {
        // Streak: long axis along the motion seen on screen.
        let vel = p.vel_style.xyz;
        let along = vel - normal * dot(vel, normal);
        let speed = length(along);
        var axis = up;
        if (speed > 1e-4) {
            axis = along / speed;
        }
        let side = normalize(cross(axis, normal));
        let half_len = max(half, 0.5 * length(vel) * 0.035);
        var half_w = half * 0.5;
        if (half_w < min_half) {
            alpha = alpha * half_w / min_half;
            half_w = min_half;
        }
        offset = side * uv.x * half_w + axis * uv.y * half_len;
    } else if (style == 2u) {
        // Leaf: a flat quad tumbling about its own axis.
        let axis = normalize(p.axis_angle.xyz + vec3<f32>(1e-5, 0.0, 0.0));
        let a = rotate(vec3<f32>(1.0, 0.0, 0.0), axis, p.axis_angle.w);
        let b = rotate(vec3<f32>(0.0, 0.0, 0.6), axis, p.axis_angle.w);
        normal = normalize(cross(a, b));
        if (half < min_half) {
            alpha = alpha * (half / min_half) * (half / min_half);
            half = min_half;
        }
        offset = (a * uv.x + b * uv.y) * half;
    } else {
        if (half < min_half) {
            alpha = alpha * (half / min_half) * (half / min_half);
            half = min_half;
        }
        offset = (right * uv.x + up * uv.y) * half;
    }
    let world = centre + offset;
    var rgb = p.color.rgb;
    let glowing = style == 3u || style == 4u;
    if (!glowing) {
        // Lit from the sky and the lights, without shadows; leaves by their
        // facing, the rest as soft scatterers.
        var wrap = 0.6;
        if (style == 2u) {
            wrap = abs(dot(normal, globals.key_dir.xyz)) * 0.8 + 0.2;
        }
        var light = globals.ambient_up.rgb + globals.key_color.rgb * wrap / PI;
        light = light + globals.fill_color.rgb * 0.5 / PI;
        let count = u32(globals.counts.z);
        for (var i = 0u; i < count; i = i + 1u) {
            let pl = point_light(i, centre);
            light = light + globals.lights[i].color_spot.rgb * pl.w * 0.5 / PI;
        }
        rgb = rgb * light;
    }
    let fog = fog_amount(cam, centre);
    var out: ParticleOut;
    out.clip = globals.view_proj * vec4<f32>(world, 1.0);
    out.uv = uv;
    if (glowing) {
        out.color = vec4<f32>(rgb * alpha * (1.0 - fog), 0.0);
    } else {
        let c = mix(rgb, fog_tint(-normalize(to_cam)), fog);
        out.color = vec4<f32>(c * alpha, alpha);
    }
    out.style = style;
    return out;
}

@fragment
fn fs_particle(in: ParticleOut) -> @location(0) vec4<f32> {
    let r2 = dot(in.uv, in.uv);
    var shape = 0.0;
    switch in.style {
        case 1u, 4u: {
            // Streaks fade along their length and across.
            shape = (1.0 - in.uv.x * in.uv.x) * (1.0 - smoothstep(0.3, 1.0, abs(in.uv.y)));
        }
        case 2u: {
            // A leaf: a blade broadest below the middle, pointed at the tip
            // (uv.y = 1), on a short stalk, with a darker midrib. (A
            // diamond read as confetti.)
            let t = clamp((in.uv.y + 0.8) / 1.8, 0.0, 1.0);
            let w = 0.62 * pow(sin(3.14159265 * pow(t, 0.75)), 0.8);
            let blade = (1.0 - smoothstep(w * 0.8, w + 0.02, abs(in.uv.x))) * step(-0.8, in.uv.y);
            let stalk = (1.0 - smoothstep(0.04, 0.07, abs(in.uv.x))) * step(in.uv.y, -0.75);
            shape = max(blade, stalk);
            let rib = 1.0 - 0.35 * (1.0 - smoothstep(0.02, 0.05, abs(in.uv.x))) * blade;
            if (shape <= 0.002) {
                discard;
            }
            return vec4<f32>(in.color.rgb * rib, in.color.a) * shape;
        }
        case 3u: {
            shape = exp(-r2 * 3.5) * (1.0 - smoothstep(0.8, 1.0, r2));
        }
        case 5u: {
            shape = (1.0 - smoothstep(0.0, 1.0, r2)) * 0.8;
        }
        case 6u: {
            // Bubble: a bright rim and a faint inside.
            let rim = smoothstep(0.55, 0.9, r2) * (1.0 - smoothstep(0.9, 1.0, r2));
            shape = rim + 0.15 * (1.0 - smoothstep(0.8, 1.0, r2));
        }
        default: {
            shape = 1.0 - smoothstep(0.35, 1.0, r2);
        }
    }
    if (shape <= 0.002) {
        discard;
    }
    return in.color * shape;
}
