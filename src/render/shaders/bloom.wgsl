// Bloom and the composite before tone mapping. The bloom chain: a
// bright-pass downsample, further downsamples, then tent-filtered upsamples
// added back level by level. Appended to fullscreen.wgsl.

struct Bloom {
    // x linear exposure, y threshold (exposed), z 1 on the first level
    params: vec4<f32>,
};

@group(0) @binding(0) var bloom_src: texture_2d<f32>;
@group(0) @binding(1) var bloom_linear: sampler;
@group(0) @binding(2) var<uniform> bloom: Bloom;

fn bloom_luminance(c: vec3<f32>) -> f32 {
    return dot(c, vec3<f32>(0.2126, 0.7152, 0.0722));
}

// Four bilinear taps on a 4x4 footprint: a box filter that halves the size
// without the shimmer of point sampling. The first level keeps only light
// above the threshold, after exposure, so bloom follows what the viewer sees.
@fragment
fn fs_bloom_down(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let texel = 1.0 / vec2<f32>(textureDimensions(bloom_src));
    let uv = pos.xy * 2.0 * texel;
    var c = 0.25 * (textureSampleLevel(bloom_src, bloom_linear, uv + vec2<f32>(-1.0, -1.0) * texel, 0.0).rgb
        + textureSampleLevel(bloom_src, bloom_linear, uv + vec2<f32>(1.0, -1.0) * texel, 0.0).rgb
        + textureSampleLevel(bloom_src, bloom_linear, uv + vec2<f32>(-1.0, 1.0) * texel, 0.0).rgb
        + textureSampleLevel(bloom_src, bloom_linear, uv + vec2<f32>(1.0, 1.0) * texel, 0.0).rgb);
    if (bloom.params.z > 0.5) {
        c = select(c, vec3<f32>(0.0), c != c);
        c = max(c, vec3<f32>(0.0)) * bloom.params.x;
        let l = bloom_luminance(c);
        // Soft knee: what is above the threshold, fading in over half of it.
        let knee = bloom.params.y * 0.5;
        let over = clamp(l - bloom.params.y + knee, 0.0, 2.0 * knee);
        let soft = over * over / (4.0 * knee + 1e-5);
        let keep = max(soft, l - bloom.params.y) / max(l, 1e-4);
        c = min(c * keep, vec3<f32>(64.0));
    }
    return vec4<f32>(c, 1.0);
}

// A 3x3 tent on the smaller level, added onto the larger by the blend.
@fragment
fn fs_bloom_up(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let texel = 1.0 / vec2<f32>(textureDimensions(bloom_src));
    let uv = pos.xy * 0.5 * texel;
    var c = vec3<f32>(0.0);
    for (var y = -1; y <= 1; y = y + 1) {
        for (var x = -1; x <= 1; x = x + 1) {
            let w = f32((2 - abs(x)) * (2 - abs(y))) / 16.0;
            c = c + w * textureSampleLevel(bloom_src, bloom_linear, uv + vec2<f32>(f32(x), f32(y)) * texel, 0.0).rgb;
        }
    }
    return vec4<f32>(c, 1.0);
}

struct Composite {
    // x 1 to apply ambient occlusion, y bloom strength, z 1/exposure
    params: vec4<f32>,
};

@group(0) @binding(3) var lit_hdr: texture_2d<f32>;
@group(0) @binding(4) var occlusion: texture_2d<f32>;
@group(0) @binding(5) var<uniform> composite: Composite;

// Occlusion dims only the ambient share of each pixel (the opaque pass
// writes that share in alpha); bloom adds the blurred bright light.
@fragment
fn fs_composite(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let p = vec2<i32>(pos.xy);
    let hdr = textureLoad(lit_hdr, p, 0);
    var c = hdr.rgb;
    if (composite.params.x > 0.5) {
        let share = clamp(hdr.a, 0.0, 1.0);
        let uv = pos.xy / vec2<f32>(textureDimensions(lit_hdr));
        let visibility = textureSampleLevel(occlusion, bloom_linear, uv, 0.0).x;
        c = c * mix(1.0, visibility, share);
    }
    if (composite.params.y > 0.0) {
        let uv = pos.xy / vec2<f32>(textureDimensions(lit_hdr));
        let glow = textureSampleLevel(bloom_src, bloom_linear, uv, 0.0).rgb;
        c = c + glow * composite.params.y * composite.params.z;
    }
    return vec4<f32>(c, 1.0);
}
