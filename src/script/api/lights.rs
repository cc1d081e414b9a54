//! Lights, sky, fog and the camera.

use glam::Vec3;
use rhai::{Dynamic, EvalAltResult};

use super::{Api, CameraHandle, EntityHandle, LightHandle, check_name_free, reg, require_building};
use crate::script::args::{ApiResult, Opts, vec3_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, OptSpec, OptType, PropDoc, Topic, opt};
use crate::world::light::{SKY_KINDS, SkyKind, sun_angles_for_time};
use crate::world::{CameraTarget, Light, LightId, LightKind};

type R<T> = Result<T, Box<EvalAltResult>>;

const SUN_OPTS: &[OptSpec] = &[
    opt("name", OptType::Text, "none", "unique name"),
    opt(
        "elevation",
        OptType::Float {
            min: -90.0,
            max: 90.0,
        },
        "50",
        "degrees above the horizon",
    ),
    opt(
        "azimuth",
        OptType::Float {
            min: -360.0,
            max: 720.0,
        },
        "135",
        "compass degrees: 0 north (-Z), 90 east (+X)",
    ),
    opt(
        "direction",
        OptType::Vec3,
        "from elevation/azimuth",
        "direction the light travels (overrides the angles)",
    ),
    opt(
        "time_of_day",
        OptType::Float {
            min: 0.0,
            max: 24.0,
        },
        "none",
        "hours; sets elevation and azimuth along a day's arc",
    ),
    opt(
        "max_elevation",
        OptType::Float {
            min: 5.0,
            max: 90.0,
        },
        "65",
        "the noon elevation used by time_of_day",
    ),
    opt("color", OptType::Color, "warm white", "light colour"),
    opt(
        "intensity",
        OptType::Float {
            min: 0.0,
            max: 100.0,
        },
        "3",
        "brightness (3 is a sunny day)",
    ),
    opt("shadows", OptType::Bool, "true", "casts shadows"),
];

const POINT_OPTS: &[OptSpec] = &[
    opt("name", OptType::Text, "none", "unique name"),
    opt("color", OptType::Color, "warm white", "light colour"),
    opt(
        "intensity",
        OptType::Float { min: 0.0, max: 1e5 },
        "10",
        "brightness",
    ),
    opt(
        "range",
        OptType::Float {
            min: 0.01,
            max: 1e4,
        },
        "10",
        "distance where it fades out, metres",
    ),
    opt("shadows", OptType::Bool, "false", "casts shadows"),
];

const SPOT_OPTS: &[OptSpec] = &[
    opt("name", OptType::Text, "none", "unique name"),
    opt("color", OptType::Color, "warm white", "light colour"),
    opt(
        "intensity",
        OptType::Float { min: 0.0, max: 1e5 },
        "20",
        "brightness",
    ),
    opt(
        "range",
        OptType::Float {
            min: 0.01,
            max: 1e4,
        },
        "15",
        "distance where it fades out, metres",
    ),
    opt(
        "angle",
        OptType::Float {
            min: 1.0,
            max: 89.0,
        },
        "30",
        "half-angle of the cone, degrees",
    ),
    opt(
        "softness",
        OptType::Float { min: 0.0, max: 1.0 },
        "0.3",
        "fraction of the cone that fades at the rim",
    ),
    opt("shadows", OptType::Bool, "true", "casts shadows"),
];

const SKY_OPTS: &[OptSpec] = &[
    opt(
        "kind",
        OptType::Choice { choices: SKY_KINDS },
        "auto",
        "auto follows the sun: night, dawn, day, golden hour, dusk",
    ),
    opt(
        "color",
        OptType::Color,
        "sky blue",
        "tint (or the flat colour for kind \"color\")",
    ),
    opt(
        "ambient",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "0.35",
        "light from the whole sky",
    ),
    opt("stars", OptType::Bool, "true", "stars at night"),
    opt("moon", OptType::Bool, "true", "a moon at night"),
    opt(
        "exposure",
        OptType::Float {
            min: -10.0,
            max: 10.0,
        },
        "0",
        "camera exposure in stops",
    ),
];

const FOG_OPTS: &[OptSpec] = &[
    opt(
        "density",
        OptType::Float {
            min: 0.0,
            max: 10.0,
        },
        "0.05",
        "per metre; 0.02 haze, 0.1 mist, 0.3 thick fog",
    ),
    opt("color", OptType::Color, "pale grey", "fog colour"),
    opt(
        "height",
        OptType::Float {
            min: -1e4,
            max: 1e4,
        },
        "none",
        "fog thins above this height (ground mist)",
    ),
];

const CAMERA_OPTS: &[OptSpec] = &[
    opt(
        "position",
        OptType::Vec3,
        "[6, 4, 8]",
        "where the camera is",
    ),
    opt(
        "target",
        OptType::PointOrEntity,
        "[0, 0, 0]",
        "what it looks at: a point, or an entity to follow",
    ),
    opt(
        "fov",
        OptType::Float {
            min: 5.0,
            max: 150.0,
        },
        "50",
        "vertical field of view, degrees",
    ),
];

pub static SUN: FnDoc = FnDoc {
    name: "sun",
    aliases: &["directional_light"],
    topic: Topic::Lights,
    forms: &["sun()", "sun(options)"],
    returns: "Light",
    params: &[],
    doc: "Directional sunlight (or moonlight with low intensity and a cool colour). Animate elevation, azimuth or time_of_day for a moving sun.",
    options: &[SUN_OPTS],
    example: "let s = sun(#{ elevation: 35, azimuth: 220, intensity: 3 });",
};

pub static POINT_LIGHT: FnDoc = FnDoc {
    name: "point_light",
    aliases: &["light", "lamp"],
    topic: Topic::Lights,
    forms: &["point_light(position)", "point_light(position, options)"],
    returns: "Light",
    params: &[("position", "[x, y, z]")],
    doc: "A light shining in all directions from a point: lamps, fire glow, candles.",
    options: &[POINT_OPTS],
    example: "let lamp = point_light([0, 2, 0], #{ color: \"warm_white\", intensity: 15, range: 8 });",
};

pub static SPOT_LIGHT: FnDoc = FnDoc {
    name: "spot_light",
    aliases: &["spotlight"],
    topic: Topic::Lights,
    forms: &[
        "spot_light(position, target)",
        "spot_light(position, target, options)",
    ],
    returns: "Light",
    params: &[
        ("position", "[x, y, z]"),
        ("target", "[x, y, z] point it aims at"),
    ],
    doc: "A cone of light: stage lights, torches, desk lamps.",
    options: &[SPOT_OPTS],
    example: "let spot = spot_light([0, 4, 0], [0, 0, 0], #{ angle: 25, intensity: 40 });",
};

pub static SKY: FnDoc = FnDoc {
    name: "sky",
    aliases: &["environment"],
    topic: Topic::Lights,
    forms: &["sky(options)"],
    returns: "",
    params: &[],
    doc: "The sky and ambient light. The default (\"auto\") follows the sun's elevation from night through dawn and day to dusk.",
    options: &[SKY_OPTS],
    example: "sky(#{ kind: \"auto\", ambient: 0.4 });",
};

pub static FOG: FnDoc = FnDoc {
    name: "fog",
    aliases: &[],
    topic: Topic::Lights,
    forms: &["fog(options)"],
    returns: "",
    params: &[],
    doc: "Fog, mist or haze that fades distant things into its colour. Animate \"fog_density\" on \"environment\" for rolling mist.",
    options: &[FOG_OPTS],
    example: "fog(#{ density: 0.08, color: \"#c8d0d8\", height: 1.5 });",
};

pub static CAMERA: FnDoc = FnDoc {
    name: "camera",
    aliases: &["set_camera"],
    topic: Topic::Camera,
    forms: &["camera(options)"],
    returns: "Camera",
    params: &[],
    doc: "Places the camera. With an entity as target it follows it. Without a camera call, one is placed to frame the scene. Animate position, target and fov.",
    options: &[CAMERA_OPTS],
    example: "let cam = camera(#{ position: [4, 2.5, 6], target: [0, 0.5, 0], fov: 45 });",
};

static P_INTENSITY: PropDoc = PropDoc {
    type_name: "Light",
    name: "intensity",
    value: "float",
    writable: true,
    doc: "brightness",
};

fn add_light(
    host: &SharedHost,
    func: &'static str,
    name: Option<String>,
    kind: LightKind,
    o: &Opts,
    default_intensity: f32,
    default_shadows: bool,
) -> ApiResult<LightHandle> {
    if let Some(n) = &name {
        check_name_free(host, func, n)?;
    }
    let color = o.color("color")?.unwrap_or(Vec3::new(1.0, 0.93, 0.85));
    let intensity = o.f32("intensity")?.unwrap_or(default_intensity);
    let shadows = o.bool("shadows")?.unwrap_or(default_shadows);
    let mut h = host.borrow_mut();
    let id = LightId(h.world.lights.len() as u32);
    if id.0 >= 64 {
        return Err(ApiError::limit(func, "more than 64 lights"));
    }
    if let Some(n) = &name {
        h.world.index_name(n, crate::world::Named::Light(id));
    }
    h.world.lights.push(Light {
        id,
        name,
        kind,
        color,
        intensity,
        shadows,
        time_of_day: None,
        max_elevation: 65.0,
    });
    Ok(LightHandle(id))
}

fn sun(host: &SharedHost, options: Option<&Dynamic>) -> ApiResult<LightHandle> {
    require_building(host, SUN.name)?;
    let o = Opts::parse(&SUN, options)?;
    let max_elev = o.f32("max_elevation")?.unwrap_or(65.0);
    let mut elevation = o.f32("elevation")?.unwrap_or(50.0);
    let mut azimuth = o.f32("azimuth")?.unwrap_or(135.0);
    let tod = o.f32("time_of_day")?;
    if let Some(t) = tod {
        (elevation, azimuth) = sun_angles_for_time(t, max_elev);
    }
    if let Some(d) = o.vec3("direction")? {
        let to_sky = -d.normalize_or(Vec3::NEG_Y);
        elevation = libm::asinf(to_sky.y.clamp(-1.0, 1.0)).to_degrees();
        azimuth = libm::atan2f(to_sky.x, -to_sky.z).to_degrees();
    }
    let handle = add_light(
        host,
        SUN.name,
        o.text("name")?,
        LightKind::Sun { elevation, azimuth },
        &o,
        3.0,
        true,
    )?;
    if let Some(t) = tod {
        let mut h = host.borrow_mut();
        let light = &mut h.world.lights[handle.0.0 as usize];
        light.time_of_day = Some(t);
        light.max_elevation = max_elev;
    }
    Ok(handle)
}

fn camera(host: &SharedHost, options: &Dynamic) -> ApiResult<CameraHandle> {
    require_building(host, CAMERA.name)?;
    let o = Opts::parse(&CAMERA, Some(options))?;
    let position = o.vec3("position")?;
    let target = match o.raw("target") {
        None => None,
        Some(d) => Some(match d.clone().try_cast::<EntityHandle>() {
            Some(e) => CameraTarget::Entity { id: e.0 },
            None => match d.clone().try_cast::<rhai::ImmutableString>() {
                Some(name) => CameraTarget::Entity {
                    id: super::entity_arg(host, CAMERA.name, "target", &Dynamic::from(name))?,
                },
                None => CameraTarget::Point {
                    at: vec3_arg(CAMERA.name, "target", d)?,
                },
            },
        }),
    };
    let fov = o.f32("fov")?;
    let mut h = host.borrow_mut();
    let c = &mut h.world.camera;
    if let Some(p) = position {
        c.position = p;
    }
    if let Some(t) = target {
        c.target = t;
    }
    if let Some(f) = fov {
        c.fov = f;
    }
    c.explicit = true;
    if let CameraTarget::Point { at } = c.target
        && at.distance(c.position) < 1e-3
    {
        return Err(ApiError::validation(
            CAMERA.name,
            "'target' is at the camera's position; move one of them",
        ));
    }
    Ok(CameraHandle)
}

pub fn register(api: &mut Api) {
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        SUN,
        move || -> R<LightHandle> { Ok(sun(&h1, None)?) },
        move |options: Dynamic| -> R<LightHandle> { Ok(sun(&h2, Some(&options))?) }
    );

    let point =
        |h: &SharedHost, p: &Dynamic, options: Option<&Dynamic>| -> ApiResult<LightHandle> {
            require_building(h, POINT_LIGHT.name)?;
            let o = Opts::parse(&POINT_LIGHT, options)?;
            let position = vec3_arg(POINT_LIGHT.name, "position", p)?;
            let range = o.f32("range")?.unwrap_or(10.0);
            add_light(
                h,
                POINT_LIGHT.name,
                o.text("name")?,
                LightKind::Point { position, range },
                &o,
                10.0,
                false,
            )
        };
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        POINT_LIGHT,
        move |p: Dynamic| -> R<LightHandle> { Ok(point(&h1, &p, None)?) },
        move |p: Dynamic, options: Dynamic| -> R<LightHandle> {
            Ok(point(&h2, &p, Some(&options))?)
        }
    );

    let spot = |h: &SharedHost,
                p: &Dynamic,
                t: &Dynamic,
                options: Option<&Dynamic>|
     -> ApiResult<LightHandle> {
        require_building(h, SPOT_LIGHT.name)?;
        let o = Opts::parse(&SPOT_LIGHT, options)?;
        let position = vec3_arg(SPOT_LIGHT.name, "position", p)?;
        let target = vec3_arg(SPOT_LIGHT.name, "target", t)?;
        if position.distance(target) < 1e-3 {
            return Err(ApiError::validation(
                SPOT_LIGHT.name,
                "'target' must differ from 'position'",
            ));
        }
        let kind = LightKind::Spot {
            position,
            target,
            angle: o.f32("angle")?.unwrap_or(30.0),
            softness: o.f32("softness")?.unwrap_or(0.3),
            range: o.f32("range")?.unwrap_or(15.0),
        };
        add_light(h, SPOT_LIGHT.name, o.text("name")?, kind, &o, 20.0, true)
    };
    let (h1, h2) = (api.host.clone(), api.host.clone());
    reg!(
        api,
        SPOT_LIGHT,
        move |p: Dynamic, t: Dynamic| -> R<LightHandle> { Ok(spot(&h1, &p, &t, None)?) },
        move |p: Dynamic, t: Dynamic, options: Dynamic| -> R<LightHandle> {
            Ok(spot(&h2, &p, &t, Some(&options))?)
        }
    );

    let h = api.host.clone();
    reg!(api, SKY, move |options: Dynamic| -> R<()> {
        require_building(&h, SKY.name)?;
        let o = Opts::parse(&SKY, Some(&options))?;
        let kind = o.choice("kind", |s| {
            Some(match s {
                "auto" => SkyKind::Auto,
                "clear" | "day" => SkyKind::Clear,
                "overcast" | "cloudy" => SkyKind::Overcast,
                "night" => SkyKind::Night,
                "underwater" => SkyKind::Underwater,
                "color" | "flat" => SkyKind::Color,
                _ => return None,
            })
        })?;
        let mut hb = h.borrow_mut();
        let env = &mut hb.world.environment;
        if let Some(k) = kind {
            env.sky = k;
        }
        if let Some(c) = o.color("color")? {
            env.sky_color = c;
        }
        if let Some(a) = o.f32("ambient")? {
            env.ambient = a;
        }
        if let Some(s) = o.bool("stars")? {
            env.stars = s;
        }
        if let Some(m) = o.bool("moon")? {
            env.moon = m;
        }
        if let Some(e) = o.f32("exposure")? {
            env.exposure = e;
        }
        Ok(())
    });

    let h = api.host.clone();
    reg!(api, FOG, move |options: Dynamic| -> R<()> {
        require_building(&h, FOG.name)?;
        let o = Opts::parse(&FOG, Some(&options))?;
        let mut hb = h.borrow_mut();
        let env = &mut hb.world.environment;
        env.fog_density = o.f32("density")?.unwrap_or(0.05);
        if let Some(c) = o.color("color")? {
            env.fog_color = c;
        }
        if let Some(y) = o.f32("height")? {
            env.fog_height = y;
        }
        Ok(())
    });

    let h = api.host.clone();
    reg!(api, CAMERA, move |options: Dynamic| -> R<CameraHandle> {
        Ok(camera(&h, &options)?)
    });

    let (hg, hs) = (api.host.clone(), api.host.clone());
    api.prop(&P_INTENSITY)
        .register_get("intensity", move |l: &mut LightHandle| -> f64 {
            hg.borrow().world.lights[l.0.0 as usize].intensity as f64
        })
        .register_set(
            "intensity",
            move |l: &mut LightHandle, v: Dynamic| -> R<()> {
                let v = crate::script::args::f32_arg("intensity", "intensity", &v)?;
                if v < 0.0 {
                    return Err(ApiError::validation(
                        "intensity",
                        "'intensity' must not be negative",
                    )
                    .into());
                }
                hs.borrow_mut().world.lights[l.0.0 as usize].intensity = v;
                Ok(())
            },
        );
    let h = api.host.clone();
    api.engine
        .register_fn("to_string", move |l: &mut LightHandle| -> String {
            let hb = h.borrow();
            let light = &hb.world.lights[l.0.0 as usize];
            format!(
                "Light({})",
                light.name.clone().unwrap_or_else(|| format!("#{}", l.0.0))
            )
        });
    api.engine
        .register_fn("to_string", |_: &mut CameraHandle| -> String {
            "Camera".into()
        });
}
