//! Time hooks (callbacks at a time, every interval, every step) and
//! snapshot requests.

use rhai::NativeCallContext;
use rhai::{Dynamic, EvalAltResult, FnPtr};

use super::{Api, reg, require_building};
use crate::script::args::{ApiResult, f64_arg};
use crate::script::error::ApiError;
use crate::script::host::SharedHost;
use crate::script::registry::{FnDoc, Topic};
use crate::world::{Hook, HookId};

type R<T> = Result<T, Box<EvalAltResult>>;

pub static AT: FnDoc = FnDoc {
    name: "at",
    aliases: &["after", "schedule"],
    topic: Topic::Events,
    forms: &["at(time, callback)"],
    returns: "",
    params: &[
        ("time", "seconds"),
        (
            "callback",
            "a closure |t| { ... } (or || { ... }) run once at that time",
        ),
    ],
    doc: "Runs a callback once during the run. Inside it you can push bodies, change colours and positions, burst emitters and create entities.",
    options: &[],
    example: "let ball = sphere(0.1, #{ position: [0, 1, 0], body: \"dynamic\" });\nat(1.0, |t| { ball.set(#{ color: \"red\" }); impulse(ball, [0, 2, 0]); });",
};

pub static EVERY: FnDoc = FnDoc {
    name: "every",
    aliases: &["timer", "interval"],
    topic: Topic::Events,
    forms: &["every(interval, callback)"],
    returns: "",
    params: &[
        ("interval", "seconds between calls"),
        ("callback", "closure |t| { ... }"),
    ],
    doc: "Runs a callback repeatedly, first at t = 0: spawning, flickering, scripted behaviour. Cheaper than on_step.",
    options: &[],
    example: "let n = 0;\nevery(0.5, |t| { sphere(0.05, #{ position: [0, 2, 0], body: \"dynamic\" }); });",
};

pub static ON_STEP: FnDoc = FnDoc {
    name: "on_step",
    aliases: &["on_update", "update", "tick"],
    topic: Topic::Events,
    forms: &["on_step(callback)"],
    returns: "",
    params: &[(
        "callback",
        "closure |t| { ... } run before every physics step",
    )],
    doc: "Runs a callback before every physics step (fps x substeps times a second). Keep it small: all callbacks share an operation budget.",
    options: &[],
    example: "let b = box(0.2, #{ position: [0, 1, 0], body: \"dynamic\", gravity_scale: 0 });\non_step(|t| { if t > 1.0 { b.velocity = [0, 0.5, 0]; } });",
};

pub static SNAPSHOT: FnDoc = FnDoc {
    name: "snapshot",
    aliases: &[],
    topic: Topic::Events,
    forms: &["snapshot(time)"],
    returns: "",
    params: &[("time", "seconds")],
    doc: "Asks for a still image at this time (written as snapshot_T.png when rendering).",
    options: &[],
    example: "snapshot(2.5);",
};

pub static NOW: FnDoc = FnDoc {
    name: "now",
    aliases: &[],
    topic: Topic::Events,
    forms: &["now()"],
    returns: "float",
    params: &[],
    doc: "The current simulated time in seconds (0 while building).",
    options: &[],
    example: "let t = now();",
};

fn add_hook(
    host: &SharedHost,
    func: &'static str,
    f: FnPtr,
    make: impl FnOnce(HookId) -> Hook,
) -> ApiResult<()> {
    let mut h = host.borrow_mut();
    if h.hook_fns.len() >= h.limits.max_hooks {
        return Err(ApiError::limit(
            func,
            format!("more than {} callbacks", h.limits.max_hooks),
        ));
    }
    let id = HookId(h.hook_fns.len() as u32);
    h.hook_fns.push(f);
    h.world.hooks.push(make(id));
    Ok(())
}

fn fn_arg(func: &'static str, d: &Dynamic) -> ApiResult<FnPtr> {
    d.clone().try_cast::<FnPtr>().ok_or_else(|| {
        ApiError::type_error(
            func,
            format!(
                "'callback' must be a closure, got {}",
                crate::script::args::describe(d)
            ),
        )
        .with_hint("Write a closure: |t| { ... }.")
    })
}

pub fn register(api: &mut Api) {
    let h = api.host.clone();
    reg!(api, AT, move |ctx: NativeCallContext,
                        t: Dynamic,
                        f: Dynamic|
          -> R<()> {
        let time = f64_arg(AT.name, "time", &t)?;
        if time < 0.0 {
            return Err(ApiError::validation(AT.name, "'time' must not be negative").into());
        }
        let f = fn_arg(AT.name, &f)?;
        h.borrow_mut()
            .world
            .scheduled
            .push(crate::world::Scheduled {
                time,
                line: super::call_line(&ctx),
                what: AT.name.to_string(),
            });
        Ok(add_hook(&h, AT.name, f, |hook| Hook::At { time, hook })?)
    });
    let h = api.host.clone();
    reg!(api, EVERY, move |i: Dynamic, f: Dynamic| -> R<()> {
        let interval = f64_arg(EVERY.name, "interval", &i)?;
        if interval <= 0.0 {
            return Err(
                ApiError::validation(EVERY.name, "'interval' must be greater than 0")
                    .with_hint("For every step use on_step(callback).")
                    .into(),
            );
        }
        let f = fn_arg(EVERY.name, &f)?;
        let start = h.borrow().world.time;
        Ok(add_hook(&h, EVERY.name, f, |hook| Hook::Every {
            start,
            interval,
            hook,
        })?)
    });
    let h = api.host.clone();
    reg!(api, ON_STEP, move |f: Dynamic| -> R<()> {
        let f = fn_arg(ON_STEP.name, &f)?;
        let start = h.borrow().world.time;
        Ok(add_hook(&h, ON_STEP.name, f, |hook| Hook::Every {
            start,
            interval: 0.0,
            hook,
        })?)
    });
    let h = api.host.clone();
    reg!(api, SNAPSHOT, move |t: Dynamic| -> R<()> {
        require_building(&h, SNAPSHOT.name)?;
        let time = f64_arg(SNAPSHOT.name, "time", &t)?;
        if time < 0.0 {
            return Err(ApiError::validation(SNAPSHOT.name, "'time' must not be negative").into());
        }
        let mut hb = h.borrow_mut();
        if hb.world.snapshots.len() >= 64 {
            return Err(ApiError::limit(SNAPSHOT.name, "more than 64 snapshots").into());
        }
        hb.world.snapshots.push(time);
        Ok(())
    });
    let h = api.host.clone();
    reg!(api, NOW, move || -> f64 { h.borrow().world.time });
}
