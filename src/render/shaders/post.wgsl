// Exposure and tone mapping from the linear HDR image to the sRGB output,
// with an optional edge filter (FXAA-style) where MSAA is too costly.

struct Post {
    // x linear exposure multiplier, y 1 to smooth edges, zw one texel in uv
    params: vec4<f32>,
};

@group(0) @binding(0) var hdr: texture_2d<f32>;
@group(0) @binding(1) var<uniform> post: Post;
@group(0) @binding(2) var hdr_linear: sampler;

@vertex
fn vs_post(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let xy = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0;
    return vec4<f32>(xy, 0.0, 1.0);
}

// Narkowicz's fit of the ACES filmic curve.
fn aces(x: vec3<f32>) -> vec3<f32> {
    let a = 2.51;
    let b = 0.03;
    let c = 2.43;
    let d = 0.59;
    let e = 0.14;
    return clamp((x * (a * x + b)) / (x * (c * x + d) + e), vec3<f32>(0.0), vec3<f32>(1.0));
}

fn tone(c: vec3<f32>) -> vec3<f32> {
    let safe = select(c, vec3<f32>(0.0), c != c);
    return aces(max(safe, vec3<f32>(0.0)) * post.params.x);
}

fn at(p: vec2<i32>) -> vec3<f32> {
    let size = vec2<i32>(textureDimensions(hdr));
    return tone(textureLoad(hdr, clamp(p, vec2<i32>(0), size - 1), 0).rgb);
}

fn between(uv: vec2<f32>) -> vec3<f32> {
    return tone(textureSampleLevel(hdr, hdr_linear, uv, 0.0).rgb);
}

fn luma(c: vec3<f32>) -> f32 {
    return dot(c, vec3<f32>(0.299, 0.587, 0.114));
}

@fragment
fn fs_post(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let p = vec2<i32>(pos.xy);
    let centre = at(p);
    if (post.params.y < 0.5) {
        // The render target is sRGB: the hardware encodes on write.
        return vec4<f32>(centre, 1.0);
    }
    // Edges are where luma changes sharply among the four diagonal
    // neighbours; smooth along the edge, not across it.
    let lm = luma(centre);
    let lnw = luma(at(p + vec2<i32>(-1, -1)));
    let lne = luma(at(p + vec2<i32>(1, -1)));
    let lsw = luma(at(p + vec2<i32>(-1, 1)));
    let lse = luma(at(p + vec2<i32>(1, 1)));
    let lo = min(lm, min(min(lnw, lne), min(lsw, lse)));
    let hi = max(lm, max(max(lnw, lne), max(lsw, lse)));
    if (hi - lo < max(0.04, hi * 0.125)) {
        return vec4<f32>(centre, 1.0);
    }
    var dir = vec2<f32>(-((lnw + lne) - (lsw + lse)), (lnw + lsw) - (lne + lse));
    let damp = max((lnw + lne + lsw + lse) * 0.03125, 1.0 / 128.0);
    let scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + damp);
    let texel = post.params.zw;
    dir = clamp(dir * scale, vec2<f32>(-8.0), vec2<f32>(8.0)) * texel;
    let uv = pos.xy * texel;
    let near = 0.5 * (between(uv - dir / 6.0) + between(uv + dir / 6.0));
    let far = near * 0.5 + 0.25 * (between(uv - dir * 0.5) + between(uv + dir * 0.5));
    // The wider blend can cross onto another surface; keep it only when it
    // stays within the neighbourhood's range.
    let lf = luma(far);
    if (lf < lo || lf > hi) {
        return vec4<f32>(near, 1.0);
    }
    return vec4<f32>(far, 1.0);
}
