// Screen-space ambient occlusion from the camera pass's depth buffer.
// Appended to common.wgsl (the globals) and fullscreen.wgsl; DEPTH_TEXTURE
// is replaced by the multisampled or plain depth type when built.

@group(0) @binding(1) var depth_tex: DEPTH_TEXTURE;

// World position of pixel `p` from the (reversed-Z) depth buffer; w is 0
// where nothing was drawn (the sky).
fn world_at(p: vec2<i32>) -> vec4<f32> {
    let size = vec2<i32>(textureDimensions(depth_tex));
    let q = clamp(p, vec2<i32>(0), size - 1);
    let d = textureLoad(depth_tex, q, 0);
    if (d <= 0.0) {
        return vec4<f32>(0.0);
    }
    let uv = (vec2<f32>(q) + 0.5) * globals.viewport.zw;
    let ndc = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, d, 1.0);
    let w = globals.inv_view_proj * ndc;
    return vec4<f32>(w.xyz / w.w, 1.0);
}

// The smaller of the two one-sided differences: at a depth edge the other
// side belongs to another surface.
fn nearer(centre: vec3<f32>, a: vec4<f32>, b: vec4<f32>) -> vec3<f32> {
    let da = select(vec3<f32>(1e9), centre - a.xyz, a.w > 0.5);
    let db = select(vec3<f32>(1e9), b.xyz - centre, b.w > 0.5);
    return select(db, da, dot(da, da) < dot(db, db));
}

// Obscurance after McGuire et al.'s "Alchemy" estimator: points of the depth
// buffer within a world radius that lie above the tangent plane occlude, more
// the closer they are. The spiral of samples turns by a 4x4 interleaved
// angle per pixel; the blur averages each 4x4 block back to smooth.
// Writes (visibility, distance to the camera) so the blur can keep edges.
// Runs at half resolution: each output pixel looks at the top-left depth
// pixel of its 2x2 block.
@fragment
fn fs_ao(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let half = vec2<i32>(pos.xy);
    let p = half * 2;
    let centre = world_at(p);
    if (centre.w < 0.5) {
        return vec4<f32>(1.0, 1e6, 0.0, 0.0);
    }
    let c = centre.xyz;
    let dx = nearer(c, world_at(p - vec2<i32>(1, 0)), world_at(p + vec2<i32>(1, 0)));
    let dy = nearer(c, world_at(p - vec2<i32>(0, 1)), world_at(p + vec2<i32>(0, 1)));
    var n = cross(dy, dx);
    let cam = globals.camera_pos.xyz;
    let dist = length(cam - c);
    if (dot(n, n) < 1e-20) {
        return vec4<f32>(1.0, dist, 0.0, 0.0);
    }
    n = normalize(n);
    if (dot(n, cam - c) < 0.0) {
        n = -n;
    }
    let radius = clamp(dist * 0.06, 0.05, 1.5);
    let radius_px = radius / max(dist * globals.camera_forward.w, 1e-6);
    if (radius_px < 1.0) {
        return vec4<f32>(1.0, dist, 0.0, 0.0);
    }
    let taps = max(u32(globals.counts.w), 1u);
    let cell = u32(half.x & 3) + 4u * u32(half.y & 3);
    // A 4x4 Bayer ordering, so neighbouring pixels turn far apart.
    let bayer = array<f32, 16>(0.0, 8.0, 2.0, 10.0, 12.0, 4.0, 14.0, 6.0, 3.0, 11.0, 1.0, 9.0, 15.0, 7.0, 13.0, 5.0);
    let spin = bayer[cell] / 16.0 * 6.2831853;
    let bias = 0.002 * dist;
    var sum = 0.0;
    for (var k = 0u; k < taps; k = k + 1u) {
        let f = (f32(k) + 0.5) / f32(taps);
        let angle = spin + f32(k) * 2.3999632;
        let r = radius_px * f;
        let q = world_at(p + vec2<i32>(round(vec2<f32>(cos(angle), sin(angle)) * r)));
        if (q.w < 0.5) {
            continue;
        }
        let v = q.xyz - c;
        let vv = dot(v, v);
        // Occluders beyond the radius fade out rather than cut off.
        let reach = max(0.0, 1.0 - vv / (radius * radius));
        sum = sum + max(0.0, dot(v, n) - bias) / (vv + 0.01 * radius * radius) * reach;
    }
    let strength = 2.2;
    let visibility = max(0.0, 1.0 - 2.0 * strength * radius * sum / f32(taps));
    return vec4<f32>(visibility, dist, 0.0, 0.0);
}


@group(0) @binding(2) var raw_occlusion: texture_2d<f32>;

// The occlusion blurred over the 4x4 block that holds every turn of the
// sample spiral once, keeping to samples at about the same distance, so
// edges stay sharp.
@fragment
fn fs_ao_blur(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let p = vec2<i32>(pos.xy);
    let size = vec2<i32>(textureDimensions(raw_occlusion));
    let centre = textureLoad(raw_occlusion, p, 0).xy;
    let tolerance = centre.y * 0.04 + 0.02;
    var sum = 0.0;
    var weight = 0.0;
    for (var y = -1; y <= 2; y = y + 1) {
        for (var x = -1; x <= 2; x = x + 1) {
            let s = textureLoad(raw_occlusion, clamp(p + vec2<i32>(x, y), vec2<i32>(0), size - 1), 0).xy;
            let w = max(0.0, 1.0 - abs(s.y - centre.y) / tolerance) + 1e-3;
            sum = sum + s.x * w;
            weight = weight + w;
        }
    }
    return vec4<f32>(sum / weight, centre.y, 0.0, 0.0);
}
