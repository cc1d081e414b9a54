// The sky: a full-screen triangle drawn behind everything (depth 0 in our
// reversed depth), only where no geometry was drawn. Appended to common.wgsl.

struct SkyOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) ndc: vec2<f32>,
};

@vertex
fn vs_sky(@builtin(vertex_index) i: u32) -> SkyOut {
    let xy = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0;
    var out: SkyOut;
    out.clip = vec4<f32>(xy, 0.0, 1.0);
    out.ndc = xy;
    return out;
}

@fragment
fn fs_sky(in: SkyOut) -> @location(0) vec4<f32> {
    // Unproject a point on the near plane (depth 1 when reversed).
    let p = globals.inv_view_proj * vec4<f32>(in.ndc, 1.0, 1.0);
    let cam = globals.camera_pos.xyz;
    let dir = normalize(p.xyz / p.w - cam);
    var c = sky_color(dir);
    // The air thins upwards: looking up crosses less of it than looking
    // along the horizon, so a haze pales the horizon but not the zenith.
    let reach = globals.fog.w / (1.0 + 8.0 * max(dir.y, 0.0));
    let f = fog_amount(cam, cam + dir * reach);
    c = mix(c, fog_tint(dir), f);
    // Alpha: no ambient share, so occlusion leaves the sky alone.
    return vec4<f32>(c, 0.0);
}
