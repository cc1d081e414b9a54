//! The pipeline's stages, each one model call (and at most one retry with
//! the error) that returns a brief or a piece of script: the planner, the
//! object stream, the scene stream (environment, layout, camera), the
//! PostProcess agent (dynamics) and the repairer.
//!
//! Prompts are cut from the registry and the catalog by retrieval, never
//! from hand-copied API text.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::brief_check;
use super::client::{CallSite, ModelClient};
use super::code::{cut_off_reason, extract_code, maker_name, snake_case, without_world_call};
use super::retrieve::{DocKind, Index};
use super::scene_facts::SceneFacts;
use super::templates;
use super::words::{
    DAY_WORDS, ENVIRONMENT_KINDS, FEATURE_NOUNS, MODIFIER_WORDS, ONE_THING, PARTICLE_KINDS,
    WEATHER_KINDS, shape_words,
};
use super::{AgentError, Progress};
use crate::brief::{Brief, DYNAMICS_KINDS, ObjectBrief};
use crate::critic::{CriticDiff, Severity};
use crate::llm::{ChatRequest, ChatResponse, JsonSchema, Part, ProviderKind};
use crate::script::ScriptError;

/// What every code-writing call is told first (kept identical across calls
/// so servers that cache prompt prefixes reuse it).
const CODER_SYSTEM: &str = "You write world scripts for code2worlds: Rhai code that builds a 3D scene and its motion \
with the world API given in each request. Answer with Rhai code only: no explanations, no markdown fences. \
Use only the functions in the reference, with the option keys it lists. Keep entity names exactly as given. \
Units: metres, seconds, kilograms, degrees. Y is up and the ground is at y = 0.";

const PLANNER_SYSTEM: &str = "You plan short, physically simulated 3D animations from a description. \
Answer with one JSON object that follows the given schema, and nothing else.";

/// The models and the index a stage works with.
pub struct StageContext<'a> {
    pub planner: &'a ModelClient,
    pub coder: &'a ModelClient,
    pub index: &'a Index,
    pub grammar: bool,
    /// Small prompts for small, slow models: fewer reference entries, the
    /// entity options as bare keys, no example world; and no model call for
    /// what the brief alone settles (catalog objects, the environment, the
    /// camera) unless that piece fails its check.
    pub compact: bool,
    pub progress: &'a Progress,
}

impl StageContext<'_> {
    /// Retrieved reference text, cut down in compact mode.
    fn reference(&self, must: &[&str], query: &str, k: usize, budget: usize) -> String {
        if self.compact {
            let must = &must[..must.len().min(2)];
            self.index
                .reference(must, query, k.min(3), budget * 2 / 5, true)
        } else {
            self.index.reference(must, query, k, budget, false)
        }
    }

    fn code_request(&self, task: String, max_tokens: u32) -> ChatRequest {
        let mut req = ChatRequest::new(vec![Part::Text(task)]);
        req.system = Some(CODER_SYSTEM.into());
        req.max_tokens = max_tokens;
        req.temperature = Some(0.2);
        if self.grammar && self.coder.kind() == ProviderKind::OpenAi {
            req.grammar = Some(crate::grammar::for_generation());
        }
        req
    }

    /// Asks the coder for one part of the [scene plan](super::plan) as JSON
    /// (constrained by its schema) rather than as code: small models fill
    /// in numbers far more reliably than they write calls. None when the
    /// answer does not parse as the part.
    fn ask_plan_part<T: serde::de::DeserializeOwned + schemars::JsonSchema>(
        &self,
        site: &CallSite,
        name: &str,
        task: String,
    ) -> Result<Option<T>, AgentError> {
        let mut req = ChatRequest::new(vec![Part::Text(task)]);
        req.system = Some(PLANNER_SYSTEM.into());
        req.schema = Some(JsonSchema {
            name: name.into(),
            schema: serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default(),
            // Tagged choices (follow a name, or look at a point) are outside
            // strict mode's subset.
            strict: false,
        });
        req.max_tokens = 300;
        req.temperature = Some(0.2);
        self.progress.say(
            &site.stage,
            &format!("asking {} for the {name}", self.coder.model_name()),
        );
        let answer = self.coder.chat(site, &req).map_err(|e| AgentError::Model {
            stage: site.stage.clone(),
            error: e,
        })?;
        Ok(answer
            .json()
            .ok()
            .and_then(|v| serde_json::from_value::<T>(v).ok()))
    }

    /// Asks the coder; returns the code in its answer. An answer cut off
    /// by the token limit (the server says so, or brackets and strings are
    /// left open) is asked for again once, with twice the room, rather than
    /// run: a cut script is a syntax error at its last line, and a repair
    /// from it makes the world worse.
    fn ask_code(
        &self,
        site: &CallSite,
        task: String,
        max_tokens: u32,
    ) -> Result<String, AgentError> {
        // A small model that loses its way fills whatever room it has, at a
        // few tokens a second: compact mode gives it less.
        let max_tokens = if self.compact {
            max_tokens * 3 / 5
        } else {
            max_tokens
        };
        let ask = |req: ChatRequest| {
            self.progress
                .say(&site.stage, &format!("asking {}", self.coder.model_name()));
            self.coder.chat(site, &req).map_err(|e| AgentError::Model {
                stage: site.stage.clone(),
                error: e,
            })
        };
        let answer = ask(self.code_request(task.clone(), max_tokens))?;
        let code = extract_code(&answer.text);
        let Some(why) = cut_off(&answer, &code, max_tokens) else {
            return Ok(code);
        };
        let room = (max_tokens * 2).min(MAX_CODE_TOKENS);
        self.progress.say(
            &site.stage,
            &format!("answer cut off ({why}): asking again with room for {room} tokens"),
        );
        let retry = format!(
            "{task}\n\nYour last answer was cut off before its end ({why}). Answer again, whole and \
shorter: fewer comments, and close every bracket."
        );
        let answer = ask(self.code_request(retry, room))?;
        let code = extract_code(&answer.text);
        if let Some(why) = cut_off(&answer, &code, room) {
            // The stage's check (or the rounds' build check) turns it down.
            self.progress
                .say(&site.stage, &format!("still cut off ({why})"));
        }
        Ok(code)
    }
}

/// The most a code answer is given when asked again after a cut.
const MAX_CODE_TOKENS: u32 = 8000;

/// Why an answer is not whole, if it is not: the server's word when it
/// gave a reason for stopping, else whether the code closes what it opens.
fn cut_off(answer: &ChatResponse, code: &str, max_tokens: u32) -> Option<String> {
    match answer.cut_off {
        Some(true) => Some(format!("it reached the limit of {max_tokens} tokens")),
        Some(false) => None,
        None => cut_off_reason(code),
    }
}

/// The dynamics kinds as the planner sees them: with what the critic
/// measures for each (so "flutters" is not filed under "flows"), or, for a
/// small model's short prompt, the names alone.
fn dynamics_kinds_for_planner(compact: bool) -> String {
    if compact {
        format!("with kinds from: {}.", DYNAMICS_KINDS.join(", "))
    } else {
        format!(
            "one kind each, chosen by what the critic will measure:\n{}",
            crate::brief::dynamics_vocabulary()
        )
    }
}

/// Stage 1: the prompt as a scene brief.
pub fn plan(cx: &StageContext, prompt: &str) -> Result<Brief, AgentError> {
    let site = CallSite::stage("plan");
    let task = format!(
        "Description: {prompt}\n\n\
Plan the scene as JSON:\n\
- objects: every distinct thing to build (1 to 5), except the ground, sky, sun and lights (those are the \
environment); short snake_case names; kind: the everyday noun (bottle, table, tree, ball), never a category; \
count; attributes from the description (colour, material, state); size_m (largest dimension in metres); \
placement; role: subject (what the description is about), support (what things rest on) or background.\n\
- Things that come in hundreds (raindrops, snowflakes, falling leaves, sparks, sand grains) are particles: \
put them in dynamics, not objects.\n\
- dynamics: what moves, {}\n\
- camera: shot (close, medium or wide), target (an object name), motion (static, orbit, dolly or follow).\n\
- duration: seconds, 4 to 10.",
        dynamics_kinds_for_planner(cx.compact)
    );
    let mut req = ChatRequest::new(vec![Part::Text(task)]);
    req.system = Some(PLANNER_SYSTEM.into());
    // Small local models loop in lists; their servers take the bounds.
    let bounded = cx.grammar || cx.compact;
    req.schema = Some(JsonSchema {
        name: "scene_brief".into(),
        schema: if bounded {
            Brief::bounded_schema()
        } else {
            Brief::schema()
        },
        strict: !bounded,
    });
    req.max_tokens = 900;
    req.temperature = Some(0.2);
    let mut last_error = String::new();
    for attempt in 0..2 {
        cx.progress
            .say("plan", &format!("asking {}", cx.planner.model_name()));
        let mut r = req.clone();
        if attempt > 0 {
            r.parts.push(Part::Text(format!(
                "Your last answer could not be used: {last_error}. Answer with the JSON object only."
            )));
        }
        let answer = cx.planner.chat(&site, &r).map_err(|e| AgentError::Model {
            stage: "plan".into(),
            error: e,
        })?;
        let cut = answer.cut_off == Some(true);
        if cut {
            // Room for the whole object next time.
            req.max_tokens *= 2;
        }
        // A cut answer may still hold a whole inner object (its "camera"),
        // which would read as an empty brief: never use one.
        let parsed = if cut {
            Err("it was cut off at the token limit".to_string())
        } else {
            answer
                .json()
                .map_err(|e| e.to_string())
                .and_then(|v| serde_json::from_value::<Brief>(v).map_err(|e| e.to_string()))
                .and_then(|b| {
                    if b.objects.is_empty() && b.dynamics.is_empty() {
                        Err("it plans no objects and no dynamics".to_string())
                    } else {
                        Ok(b)
                    }
                })
        };
        match parsed {
            Ok(b) => return held_to_prompt(cx, &site, &req, normalise_brief(b, prompt), prompt),
            Err(_) if cut => {
                last_error =
                    "it was cut off at the token limit; be brief, and list each item once".into()
            }
            Err(e) => last_error = e,
        }
    }
    Err(AgentError::Stage {
        stage: "plan".into(),
        message: format!("the planner gave no usable brief: {last_error}"),
    })
}

/// Holds a brief to its prompt's words ([`brief_check`]): a brief that
/// strays is sent back once with its problems; what the answer still gets
/// wrong is mended in place.
fn held_to_prompt(
    cx: &StageContext,
    site: &CallSite,
    req: &ChatRequest,
    brief: Brief,
    prompt: &str,
) -> Result<Brief, AgentError> {
    let found = brief_check::problems(&brief, prompt);
    if found.is_empty() {
        return Ok(brief);
    }
    cx.progress.say(
        "plan",
        &format!("sending the brief back: {}", found[0].message()),
    );
    let mut shown = serde_json::to_value(&brief).unwrap_or_default();
    if let Some(m) = shown.as_object_mut() {
        m.remove("prompt");
    }
    let list: Vec<String> = found.iter().map(|p| format!("- {}", p.message())).collect();
    let mut r = req.clone();
    r.parts.push(Part::Text(format!(
        "Your brief was:\n{shown}\nIt does not fit the description:\n{}\nAnswer with the corrected JSON object only.",
        list.join("\n")
    )));
    let answer = cx.planner.chat(site, &r).map_err(|e| AgentError::Model {
        stage: "plan".into(),
        error: e,
    })?;
    let second = answer
        .json()
        .ok()
        .and_then(|v| serde_json::from_value::<Brief>(v).ok())
        .map(|b| normalise_brief(b, prompt))
        .filter(|b| !b.objects.is_empty() && brief_check::problems(b, prompt).len() <= found.len());
    let mut kept = second.unwrap_or(brief);
    if let Some(first) = brief_check::problems(&kept, prompt).first() {
        cx.progress
            .say("plan", &format!("mended in place: {}", first.message()));
        brief_check::mend_against(&mut kept, prompt);
    }
    Ok(normalise_brief(kept, prompt))
}

/// Makes a brief safe to build from, whatever the model wrote: unique
/// identifier names, counts and sizes in range, a known camera target.
pub fn normalise_brief(mut b: Brief, prompt: &str) -> Brief {
    b.prompt = prompt.to_string();
    if b.title.trim().is_empty() {
        b.title = prompt.chars().take(60).collect();
    }
    if !(b.duration.is_finite() && b.duration >= 2.0) {
        b.duration = 6.0;
    }
    b.duration = b.duration.min(12.0);
    // A planner's "none" for the sky is no sky item to check.
    let e = &mut b.environment;
    for field in [&mut e.ground, &mut e.sky, &mut e.weather, &mut e.lighting] {
        if ["none", "n/a", "null", "unknown", "unspecified"]
            .contains(&field.trim().to_lowercase().as_str())
        {
            field.clear();
        }
    }
    for o in &mut b.objects {
        split_compound_kind(o, prompt);
        // A chopped or felled tree is a stump (the catalog's, with roots).
        let said = format!("{} {}", o.name, o.attributes.join(" ")).to_lowercase();
        if o.kind.trim().eq_ignore_ascii_case("tree")
            && ["chopped", "felled", "cut down", "stump", "sawn"]
                .iter()
                .any(|w| said.contains(w))
        {
            o.kind = "stump".into();
        }
    }
    let not_a_thing = |o: &ObjectBrief| {
        let kind = o.kind.trim().to_lowercase();
        ENVIRONMENT_KINDS.contains(&kind.as_str())
            || FEATURE_NOUNS.contains(&kind.as_str())
            || ENVIRONMENT_KINDS.contains(&o.name.trim().to_lowercase().as_str())
    };
    let dropped: Vec<String> = b
        .objects
        .iter()
        .filter(|o| not_a_thing(o))
        .map(|o| o.name.clone())
        .collect();
    b.objects.retain(|o| !not_a_thing(o));
    // "The midday sun spins": what the dropped thing did, the subject does
    // (and the brief check drops what the subject cannot do).
    let subject = b.subject_name();
    for d in b
        .dynamics
        .iter_mut()
        .filter(|d| dropped.contains(&d.subject))
    {
        d.subject = subject.clone();
    }
    let particle_kind = |o: &ObjectBrief| {
        // The kind, and the name too: planners write kind "particles",
        // name "raindrops".
        let mut kind = format!("{} {}", o.kind, o.name).to_lowercase();
        if kind.contains("particle") {
            kind.push(' ');
            kind.push_str(&o.attributes.join(" ").to_lowercase());
        }
        let words: Vec<&str> = kind
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        if words.iter().any(|w| ONE_THING.contains(w)) {
            return None;
        }
        PARTICLE_KINDS
            .iter()
            .find(|(word, _)| {
                words
                    .iter()
                    .any(|w| w == word || w.strip_suffix('s') == Some(word))
            })
            .map(|(_, dynamics)| *dynamics)
    };
    for o in &b.objects {
        if let Some(kind) = particle_kind(o)
            && !b.dynamics.iter().any(|d| d.kind == kind)
        {
            b.dynamics.push(crate::brief::DynamicsBrief {
                kind: kind.into(),
                subject: String::new(),
                notes: o.attributes.join(", "),
            });
        }
    }
    // Particles of no kind we can tell cannot be built as objects.
    b.objects
        .retain(|o| particle_kind(o).is_none() && !o.kind.to_lowercase().starts_with("particle"));
    let names: Vec<String> = b.objects.iter().map(|o| o.name.clone()).collect();
    // A motion of something that is not an object: of particles it is
    // their emitter's ("the leaves spin" with falling leaves asked for);
    // otherwise it has no subject.
    let mut extra: Vec<crate::brief::DynamicsBrief> = Vec::new();
    b.dynamics.retain_mut(|d| {
        if d.subject.is_empty() || names.contains(&d.subject) {
            return true;
        }
        let as_object = ObjectBrief {
            kind: d.subject.clone(),
            ..Default::default()
        };
        if let Some(kind) = particle_kind(&as_object) {
            extra.push(crate::brief::DynamicsBrief {
                kind: kind.into(),
                subject: String::new(),
                notes: d.notes.clone(),
            });
            return false;
        }
        true
    });
    for e in extra {
        if !b.dynamics.iter().any(|d| d.kind == e.kind) {
            b.dynamics.push(e);
        }
    }
    let mut day_seen = false;
    b.dynamics.retain_mut(|d| {
        let text = format!("{} {}", d.subject, d.kind).to_lowercase();
        // Weather and particles stay what they are ("light rain at dusk").
        let weather = WEATHER_KINDS.contains(&d.kind.as_str());
        let about_day = d.kind == "time_of_day"
            || (!weather
                && !names.contains(&d.subject)
                && text
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .any(|w| DAY_WORDS.contains(&w)));
        if about_day {
            d.kind = "time_of_day".into();
            d.subject.clear();
            let first = !day_seen;
            day_seen = true;
            return first;
        }
        true
    });
    b.objects.truncate(8);
    let mut seen: Vec<String> = Vec::new();
    for o in &mut b.objects {
        let base = snake_case(if o.name.trim().is_empty() {
            &o.kind
        } else {
            &o.name
        });
        let mut name = base.clone();
        let mut n = 2;
        while seen.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        seen.push(name.clone());
        o.name = name;
        o.count = o.count.clamp(1, 30);
        // "colour: soft blue" is "soft blue"; "size_m: 0.5" and
        // "placement: ..." are fields written as attributes.
        o.attributes = o
            .attributes
            .iter()
            .filter_map(|a| match a.split_once(':') {
                Some((key, value)) => {
                    let key = key.trim().to_ascii_lowercase();
                    let value = value.trim();
                    let field = [
                        "size_m",
                        "size",
                        "placement",
                        "role",
                        "count",
                        "name",
                        "kind",
                    ]
                    .contains(&key.as_str());
                    (!field && !value.is_empty()).then(|| value.to_string())
                }
                None => Some(a.clone()),
            })
            .collect();
        // Small planners copy the schema's words ("colour", "material",
        // "size_m") in as attributes: they describe nothing.
        o.attributes.retain(|a| {
            ![
                "colour",
                "color",
                "material",
                "state",
                "size_m",
                "size",
                "attributes",
                "placement",
            ]
            .contains(&a.trim().to_ascii_lowercase().as_str())
        });
        if o.kind.trim().is_empty() {
            o.kind = o.name.replace('_', " ");
        }
        // "forest: forest" says nothing about the forest.
        let (kind, name) = (o.kind.to_lowercase(), o.name.to_lowercase());
        o.attributes.retain(|a| {
            let a = a.trim().to_lowercase().replace(' ', "_");
            a != kind.replace(' ', "_") && a != name
        });
        o.size_m = o
            .size_m
            .filter(|s| s.is_finite() && *s > 0.001 && *s < 500.0);
    }
    b.dynamics
        .retain(|d| DYNAMICS_KINDS.contains(&d.kind.as_str()));
    for d in &mut b.dynamics {
        if !d.subject.is_empty() {
            let s = snake_case(&d.subject);
            if seen.contains(&s) {
                d.subject = s;
            }
        }
    }
    // A planner's list can say the same motion twice.
    let mut seen_motions: Vec<(String, String)> = Vec::new();
    b.dynamics.retain(|d| {
        let key = (d.kind.clone(), d.subject.clone());
        let fresh = !seen_motions.contains(&key);
        seen_motions.push(key);
        fresh
    });
    let target = snake_case(&b.camera.target);
    b.camera.target = if seen.contains(&target) {
        target
    } else {
        b.subject_name()
    };
    b
}

/// A planner's kind of several words whose first ones only describe
/// ("tall_trees", "bright_pile", "midday_sun") becomes its head noun, the
/// rest attributes, so the catalog, the critic and the environment read
/// it. Compound names of real kinds ("leaf_pile", "wine glass") keep
/// theirs: a word that is not a modifier stops the split. Plural heads
/// are several things; a pile in a prompt about leaves is a leaf pile.
fn split_compound_kind(o: &mut ObjectBrief, prompt: &str) {
    let lower = o.kind.trim().to_lowercase();
    let parts: Vec<&str> = lower
        .split([' ', '_', '-'])
        .filter(|w| !w.is_empty())
        .collect();
    let Some((head, modifiers)) = parts.split_last() else {
        return;
    };
    let describes = |w: &&str| {
        MODIFIER_WORDS.contains(w) || crate::world::material::parse_color_str(w).is_some()
    };
    if modifiers.is_empty() || !modifiers.iter().all(describes) {
        return;
    }
    let singular = head
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .or_else(|| {
            head.strip_suffix('s')
                .filter(|s| s.len() > 2 && !s.ends_with('s'))
                .map(str::to_string)
        })
        .unwrap_or_else(|| head.to_string());
    if singular != *head && o.count <= 1 {
        o.count = 3;
    }
    let leaves = prompt
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "leaf" || w == "leaves");
    o.kind = if ["pile", "heap", "mound"].contains(&singular.as_str()) && leaves {
        "leaf_pile".to_string()
    } else {
        singular
    };
    for m in modifiers {
        if !o.attributes.iter().any(|a| a.eq_ignore_ascii_case(m)) {
            o.attributes.push(m.to_string());
        }
    }
}

fn describe_object(o: &ObjectBrief) -> String {
    let mut s = o.kind.clone();
    if !o.attributes.is_empty() {
        s.push_str(&format!(" ({})", o.attributes.join(", ")));
    }
    if let Some(m) = o.size_m {
        s.push_str(&format!(", about {m} m across"));
    }
    s
}

/// The catalog builder named like the object's kind, with its
/// documentation, if there is one.
fn catalog_builder(index: &Index, o: &ObjectBrief) -> Option<(String, String)> {
    // Among the best few hits: a builder that mentions trees often ranks
    // above `tree` itself.
    let kind = o.kind.to_ascii_lowercase();
    let singular: Vec<&str> = kind
        .split_whitespace()
        .map(|w| w.strip_suffix('s').unwrap_or(w))
        .collect();
    index
        .search(
            &format!("{kind} {}", singular.join(" ")),
            &[DocKind::Asset],
            5,
        )
        .into_iter()
        .map(|(d, _)| (d.name.clone(), d.text.clone()))
        .find(|(name, text)| {
            let short = name.rsplit("::").next().unwrap_or(name);
            // Only builders of one thing at a position stand in for a maker
            // (not nature::forest(count, area)).
            text.contains(&format!("{name}(position"))
                && o.kind
                    .to_ascii_lowercase()
                    .split_whitespace()
                    .any(|w| w == short || w.strip_suffix('s') == Some(short))
        })
}

/// Stage 2, the object stream: one object's maker function.
pub fn write_object(
    cx: &StageContext,
    brief: &Brief,
    o: &ObjectBrief,
    feedback: Option<&str>,
) -> Result<String, AgentError> {
    let site = CallSite::stage(format!("object {}", o.name));
    if cx.compact && feedback.is_none() {
        if let Some(code) = templates::forest_object(brief, o) {
            cx.progress
                .say(&site.stage, "catalog trees in a group, no model call");
            return Ok(code);
        }
        if let Some((builder, doc)) = catalog_builder(cx.index, o) {
            cx.progress.say(
                &site.stage,
                &format!("from the catalog ({builder}), no model call"),
            );
            return Ok(templates::catalog_object(brief, o, &builder, &doc));
        }
    }
    let query = format!(
        "{} {} {} {}",
        o.kind,
        o.kind,
        shape_words(&o.kind),
        o.attributes.join(" ")
    );
    let reference = cx.reference(&["group"], &query, 6, 2200);
    let maker = maker_name(&o.name);
    let naming = if o.count > 1 {
        format!(
            "tags it \"{}\" (tags: [\"{}\"]) without a name (it is called {} times)",
            o.name, o.name, o.count
        )
    } else {
        format!("names it \"{}\"", o.name)
    };
    // A catalog builder named like the object is nearly always the best
    // start; say so plainly rather than hope the model notices it.
    let builder = catalog_builder(cx.index, o).map(|(name, _)| name);
    let label = if o.count > 1 {
        format!("tags: [\"{}\"]", o.name)
    } else {
        format!("name: \"{}\"", o.name)
    };
    let how = match &builder {
        Some(b) => format!(
            "The catalog builds this: call {b}(position, #{{ name: ..., color: ..., ... }}) with options that \
match the attributes, e.g. fn {maker}(position) {{ {b}(position, #{{ {label} }}) }}."
        ),
        None => format!(
            "Build it from shapes: let g = group(#{{ {label}, position: position }}); then make each part \
with parent: g in its options (positions relative to g), and return g. Match the attributes with colour \
and material."
        ),
    };
    let mut task = format!(
        "Reference:\n{reference}\n\
Scene: {}\n\
Task: write one Rhai function `fn {maker}(position)` that builds a {} with its lowest point at `position`, \
{naming}, and returns it. {how} Build only this object: no ground, lights, camera or motion.",
        brief.prompt,
        describe_object(o)
    );
    if let Some(f) = feedback {
        task.push_str(&format!("\nYour last version failed: {f}\nFix it."));
    }
    let code = cx.ask_code(&site, task, 500)?;
    Ok(without_world_call(&code))
}

/// Stage 3a, the scene stream's environment: ground, sky, light, weather.
pub fn write_environment(
    cx: &StageContext,
    brief: &Brief,
    feedback: Option<&str>,
) -> Result<String, AgentError> {
    let site = CallSite::stage("environment");
    if cx.compact && feedback.is_none() {
        cx.progress
            .say(&site.stage, "from the brief, no model call");
        return Ok(templates::environment(brief));
    }
    let e = &brief.environment;
    let query = format!(
        "ground {} sky {} {} weather {} light {} {}",
        e.ground, e.sky, brief.setting, e.weather, e.lighting, brief.title
    );
    let reference = cx.reference(&["plane", "nature::terrain", "sun", "sky"], &query, 5, 2600);
    let mut task = format!(
        "Reference:\n{reference}\n\
Scene: {}\nSetting: {}; ground: {}; sky: {}; time of day: {}; weather: {}; light: {}.\n\
Task: write the environment only: the ground (a plane named \"ground\" or nature::terrain), the sun and sky \
(and lamps if the light asks for them), fog or mist if asked, and wind if the weather is windy. No objects, \
no particles, no camera.",
        brief.prompt,
        brief.setting,
        e.ground,
        e.sky,
        e.time_of_day
            .map(|h| format!("{h:.1} h"))
            .unwrap_or_else(|| "any".into()),
        e.weather,
        e.lighting
    );
    if let Some(f) = feedback {
        task.push_str(&format!("\nYour last version failed: {f}\nFix it."));
    }
    let code = cx.ask_code(&site, task, 450)?;
    Ok(without_world_call(&code))
}

/// Stage 3b: placing the objects by calling their makers.
/// `measure` builds the scene with a candidate layout (for the template).
pub fn write_layout(
    cx: &StageContext,
    brief: &Brief,
    facts: &SceneFacts,
    measure: &dyn Fn(&str) -> Option<SceneFacts>,
    feedback: Option<&str>,
) -> Result<String, AgentError> {
    let site = CallSite::stage("layout");
    if cx.compact && feedback.is_none() {
        cx.progress
            .say(&site.stage, "from the brief's placements, no model call");
        return Ok(templates::layout(brief, measure));
    }
    let reference = cx.reference(
        &["layout::scatter", "layout::row"],
        "place positions scatter grid ring row",
        2,
        1200,
    );
    let mut objects = String::new();
    for o in &brief.objects {
        objects.push_str(&format!(
            "- {}(position): one {}; {} wanted; {}; {}\n",
            maker_name(&o.name),
            describe_object(o),
            o.count,
            if o.placement.is_empty() {
                "placement free"
            } else {
                &o.placement
            },
            o.role
        ));
    }
    let mut task = format!(
        "Reference:\n{reference}\n\
Scene: {}\nAlready built: {}\nObject makers (already defined):\n{objects}\
Task: place the objects by calling each maker once per copy with a position [x, y, z] (y is the height \
of the surface it stands on: 0 on the ground, the top of its support otherwise). Keep things within 4 m of \
the origin unless the scene is a landscape, apart enough not to overlap. Put each result in a variable, \
e.g. let bottle = make_bottle([0, 0, 0]); use a for loop for copies. Only the calls: no new objects, \
lights or camera.",
        brief.prompt,
        facts.summary()
    );
    if let Some(f) = feedback {
        task.push_str(&format!("\nYour last version failed: {f}\nFix it."));
    }
    let code = cx.ask_code(&site, task, 450)?;
    Ok(without_world_call(&code))
}

/// Stage 3c: the camera.
pub fn write_camera(
    cx: &StageContext,
    brief: &Brief,
    facts: &SceneFacts,
    feedback: Option<&str>,
) -> Result<String, AgentError> {
    let site = CallSite::stage("camera");
    if cx.compact && feedback.is_none() {
        cx.progress
            .say(&site.stage, "from the measured scene, no model call");
        return Ok(templates::camera(brief, facts));
    }
    let reference = cx.reference(&["camera"], "camera shot follow orbit", 1, 1500);
    let c = &brief.camera;
    let mut task = format!(
        "Reference:\n{reference}\n\
Scene: {}\nEntities: {}\n\
Task: write one camera(#{{ ... }}) call: a {} shot of \"{}\", {} camera. Place it so the subject fills \
a good part of the frame: for a close shot about 3 times the subject's size away, medium 6 times, wide \
enough to see the whole scene; a little above the subject, looking at it (target: find(\"name\") or a \
point). Only the camera call.",
        brief.prompt,
        facts.summary(),
        if c.shot.is_empty() { "medium" } else { &c.shot },
        c.target,
        if c.motion.is_empty() {
            "static"
        } else {
            &c.motion
        },
    );
    if let Some(f) = feedback {
        task.push_str(&format!("\nYour last version failed: {f}\nFix it."));
    }
    let code = cx.ask_code(&site, task, 200)?;
    Ok(without_world_call(&code))
}

/// Words that lead retrieval from a dynamics kind to the API that makes it.
fn dynamics_words(kind: &str) -> &'static str {
    match kind {
        "rolls" | "slides" => "velocity angular_velocity set impulse",
        "falls" | "topples" | "bounces" => "impulse restitution body dynamic",
        "spins" => "spin torque_impulse angular_velocity",
        "swings" => "joint hinge impulse",
        "sways" | "wind" => "wind sway field",
        "drifts" | "rises" => "follow_path drift oscillate",
        "pulsates" | "glows" | "flickers" => "oscillate emissive point_light",
        "rain" | "snow" | "falling_leaves" | "embers" | "steam" | "fire" => {
            "emitter particles preset"
        }
        "flows" | "piles" => "grains pour fill",
        "pours" | "fills" | "spills" | "splashes" => "liquid pour fill sink",
        "time_of_day" => "animate sun time_of_day sky",
        "flutters" | "drapes" | "waves" => "cloth pin attach wind flutters",
        "wobbles" | "squashes" => "soft_body wobbles compliance",
        _ => "",
    }
}

/// Stage 4, the PostProcess agent: the dynamics and the expectations.
pub fn write_dynamics(
    cx: &StageContext,
    brief: &Brief,
    facts: &SceneFacts,
    builds: &dyn Fn(&str) -> bool,
    feedback: Option<&str>,
) -> Result<String, AgentError> {
    let site = CallSite::stage("dynamics");
    let starter = if cx.compact {
        templates::dynamics_starter_that_builds(brief, facts, builds)
    } else {
        None
    };
    if let (Some(code), Some(_)) = (&starter, feedback) {
        // A small model's second miss rarely beats the starter it was given.
        cx.progress
            .say(&site.stage, "the model's version failed: using the starter");
        return Ok(code.clone());
    }
    let mut asked = String::new();
    let mut query = String::from("expect ");
    for d in &brief.dynamics {
        asked.push_str(&format!(
            "- {}{}{}\n",
            d.kind,
            if d.subject.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.subject)
            },
            if d.notes.is_empty() {
                String::new()
            } else {
                format!(": {}", d.notes)
            }
        ));
        query.push_str(&format!(
            "{} {} {} ",
            d.kind,
            dynamics_words(&d.kind),
            d.notes
        ));
    }
    if asked.is_empty() {
        asked.push_str("- whatever the description implies\n");
    }
    let reference = cx.reference(&["expect", "set"], &query, 6, 3200);
    let example = if cx.compact {
        None
    } else {
        cx.index.example(&format!("{} {query}", brief.prompt))
    }
    .map(|d| {
        let text: String = d.text.chars().take(1800).collect();
        format!("An example world for style (do not copy its objects):\n{text}\n")
    })
    .or_else(|| {
        starter.as_ref().map(|code| {
            format!("A starting point (keep what fits the description, change the rest):\n{code}\n")
        })
    })
    .unwrap_or_default();
    let mut task = format!(
        "Reference:\n{reference}\n{example}\
Scene: {}\nEntities: {}\nAsked-for motion:\n{asked}\
Task: write the dynamics only: what moves and how (initial velocities with set(find(\"name\"), #{{ velocity: \
[x, y, z], angular_velocity: [x, y, z] }}), pushes, joints, wind, particle emitters for rain, snow, leaves, \
fire or steam, animations, the time of day), then one expect(...) line for each motion asked for. Use the \
entity names above. No new ground, lights or camera.",
        brief.prompt,
        facts.summary()
    );
    if let Some(f) = feedback {
        task.push_str(&format!("\nYour last version failed: {f}\nFix it."));
    }
    let code = cx.ask_code(&site, task, 700)?;
    Ok(without_world_call(&code))
}

/// One critic finding, as the repairer is told it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub severity: String,
    pub message: String,
    pub fix: String,
}

/// What went wrong in a round, for the repairer; kept in the round's
/// `result.json` so a resumed run repairs from it without rerunning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The script failed: the structured error, as a model reads it.
    Error {
        error: serde_json::Value,
        /// The API function involved, whose reference goes with it.
        function: String,
        /// Words for retrieval.
        words: String,
    },
    /// The world ran, but the critic failed it.
    Critic { score: u32, findings: Vec<Note> },
}

impl Problem {
    pub fn from_error(e: &ScriptError) -> Problem {
        let mut v = json!({
            "kind": e.kind.name(),
            "message": e.message,
            "line": e.line,
            "column": e.column,
        });
        if let Some(s) = &e.snippet {
            v["snippet"] = json!(s);
        }
        if !e.signatures.is_empty() {
            v["signatures"] = json!(e.signatures);
        }
        if !e.suggestions.is_empty() {
            v["suggestions"] = json!(e.suggestions);
        }
        if !e.hint.is_empty() {
            v["hint"] = json!(e.hint);
        }
        let function = e.function.clone().unwrap_or_default();
        Problem::Error {
            error: v,
            words: format!("{} {} {}", e.message, function, e.suggestions.join(" ")),
            function,
        }
    }

    /// The most severe findings first, at most six, warnings and worse.
    pub fn from_diff(d: &CriticDiff) -> Problem {
        let mut findings: Vec<_> = d
            .findings
            .iter()
            .filter(|f| f.severity <= Severity::Warning)
            .collect();
        // Errors sort first (the enum runs from worst to mildest).
        findings.sort_by_key(|f| f.severity);
        Problem::Critic {
            score: d.score,
            findings: findings
                .iter()
                .take(6)
                .map(|f| Note {
                    id: f.id.clone(),
                    severity: format!("{:?}", f.severity).to_lowercase(),
                    message: f.message.clone(),
                    fix: f.fix.clone(),
                })
                .collect(),
        }
    }
}

/// What every repair prompt starts from: the call site, what went wrong,
/// and the reference retrieved for it (`k` entries in `budget` characters).
fn repair_context(
    cx: &StageContext,
    problem: &Problem,
    round: u32,
    k: usize,
    budget: usize,
) -> (CallSite, String, String) {
    let site = CallSite {
        stage: "repair".into(),
        round: Some(round),
    };
    let (what, query, function) = describe_problem(problem);
    let must: Vec<&str> = if function.is_empty() {
        vec![]
    } else {
        vec![function.as_str()]
    };
    let reference = cx.reference(&must, &query, k, budget);
    (site, what, reference)
}

/// What went wrong, for a repair prompt: the text, words for retrieval,
/// and the API function involved (empty when none).
fn describe_problem(problem: &Problem) -> (String, String, String) {
    match problem {
        Problem::Error {
            error,
            function,
            words,
        } => (
            format!("The script failed with this error:\n{error}\n"),
            words.clone(),
            function.clone(),
        ),
        Problem::Critic { score, findings } => {
            let mut lines = String::new();
            let mut query = String::new();
            for f in findings {
                lines.push_str(&format!("- [{}] {} Fix: {}\n", f.id, f.message, f.fix));
                query.push_str(&format!("{} {} ", f.message, f.fix));
            }
            (
                format!(
                    "The world ran, but the critic scored it {score} of 100 and found:\n{lines}"
                ),
                query,
                String::new(),
            )
        }
    }
}

/// What the repairer is told of its own last try on this script, when it
/// did not run.
fn own_error_text(own_error: Option<&str>) -> String {
    own_error.map_or_else(String::new, |e| {
        format!("Your last repair of this script did not run: {e}\nDo not repeat that mistake.\n")
    })
}

/// Stage 5: a corrected whole script from the error or the critic diff.
/// `own_error` is the error of the repairer's previous try on this same
/// script, when that try did not run.
pub fn repair(
    cx: &StageContext,
    brief: &Brief,
    script: &str,
    problem: &Problem,
    round: u32,
    own_error: Option<&str>,
) -> Result<String, AgentError> {
    let (site, what, reference) = repair_context(cx, problem, round, 5, 2400);
    let task = format!(
        "Reference:\n{reference}\n\
Scene: {}\n{what}{}\
The script:\n{script}\n\n\
Task: return the whole corrected script, changing only what the problems need.",
        brief.prompt,
        own_error_text(own_error)
    );
    let budget = (script.len() / 3 + 600).min(6000) as u32;
    cx.ask_code(&site, task, budget)
}

/// The sections of an assembled script: each `// ---- title ----` marker's
/// title with the range of line indices of its body.
fn sections(script: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let lines: Vec<&str> = script.lines().collect();
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if let Some(title) = t
            .strip_prefix("// ---- ")
            .and_then(|r| r.strip_suffix(" ----"))
        {
            if let Some(last) = out.last_mut() {
                last.1.end = i;
            }
            out.push((title.to_string(), i + 1..lines.len()));
        }
    }
    out
}

/// Which section a problem is in: the one holding the error's line, or for
/// a critic verdict the camera when the subject is not seen well and the
/// dynamics otherwise.
fn section_for(problem: &Problem, sections: &[(String, std::ops::Range<usize>)]) -> Option<usize> {
    let find = |title: &str| sections.iter().position(|(t, _)| t == title);
    match problem {
        Problem::Error { error, .. } => {
            let line = error["line"].as_u64()? as usize;
            sections.iter().position(|(_, r)| r.contains(&(line - 1)))
        }
        Problem::Critic { findings, .. } => {
            let about_view = findings
                .iter()
                .all(|f| f.id.starts_with("visual.subject") || f.id.starts_with("visual.camera"));
            if about_view && !findings.is_empty() {
                find("camera")
            } else {
                find("dynamics")
            }
        }
    }
}

/// The title of the section a problem lies in, if any.
pub fn problem_section(script: &str, problem: &Problem) -> Option<String> {
    let secs = sections(script);
    section_for(problem, &secs).map(|i| secs[i].0.clone())
}

/// The body of section `title` of `script`, if it has one.
pub fn section_body(script: &str, title: &str) -> Option<String> {
    let secs = sections(script);
    let (_, range) = secs.iter().find(|(t, _)| t == title)?;
    let lines: Vec<&str> = script.lines().collect();
    Some(lines[range.clone()].join("\n").trim_end().to_string())
}

/// `script` with the body of section `title` replaced by `body`; None when
/// there is no such section.
pub fn replace_section(script: &str, title: &str, body: &str) -> Option<String> {
    let secs = sections(script);
    let (_, range) = secs.iter().find(|(t, _)| t == title)?.clone();
    let lines: Vec<&str> = script.lines().collect();
    let mut out: Vec<String> = lines[..range.start].iter().map(|l| l.to_string()).collect();
    out.push(body.trim_end().to_string());
    if range.end < lines.len() {
        out.push(String::new());
        out.extend(lines[range.end..].iter().map(|l| l.to_string()));
    }
    Some(out.join("\n"))
}

/// Repairs one section of the script rather than the whole (compact mode:
/// a small model rewrites a few lines far better, and faster, than a whole
/// script). None when the problem is outside every section: then the
/// whole script needs [`repair`].
pub fn repair_section(
    cx: &StageContext,
    brief: &Brief,
    script: &str,
    problem: &Problem,
    round: u32,
    own_error: Option<&str>,
) -> Result<Option<String>, AgentError> {
    let secs = sections(script);
    let Some(index) = section_for(problem, &secs) else {
        return Ok(None);
    };
    let (title, range) = secs[index].clone();
    let lines: Vec<&str> = script.lines().collect();
    let body = lines[range.clone()].join("\n");
    if cx.compact && title == "camera" {
        return repair_camera_plan(cx, brief, script, problem, round, &body);
    }
    let (mut site, what, reference) = repair_context(cx, problem, round, 4, 1800);
    // A different request from the whole-script repair: say so.
    site.stage = "repair_section".into();
    // The other sections as context: names and positions the part may use.
    let task = format!(
        "Reference:\n{reference}\n\
Scene: {}\n{what}{}\
The script:\n{script}\n\n\
Task: rewrite only the part under `// ---- {title} ----` so the problems are fixed. Answer with that \
part only, without the marker line.\nThe part now:\n{body}",
        brief.prompt,
        own_error_text(own_error)
    );
    let budget = (body.len() / 3 + 300).min(3000) as u32;
    let part = without_world_call(&cx.ask_code(&site, task, budget)?);
    Ok(replace_section(script, &title, &part))
}

/// A small model repairs the camera as a [`CameraPlan`](super::plan::CameraPlan)
/// (numbers in a schema), which the plan's compiler writes out; the section
/// is left alone when the answer is no camera.
fn repair_camera_plan(
    cx: &StageContext,
    brief: &Brief,
    script: &str,
    problem: &Problem,
    round: u32,
    body: &str,
) -> Result<Option<String>, AgentError> {
    let (mut site, what, _) = repair_context(cx, problem, round, 0, 0);
    site.stage = "repair_camera".into();
    let facts = SceneFacts::build(script).unwrap_or_default();
    let task = format!(
        "Scene: {}\nEntities: {}{what}\
The camera now: {body}\n\
Task: place the camera so the problems are fixed: position [x, y, z] in metres, and its aim: \
{{\"aim\": \"follow\", \"name\": an entity's name}} for a moving subject, or \
{{\"aim\": \"point\", \"at\": [x, y, z]}}. For a close shot stand about 3 times the subject's size \
away, a little above it.",
        brief.prompt,
        facts.summary()
    );
    let plan: Option<super::plan::CameraPlan> = cx.ask_plan_part(&site, "camera_plan", task)?;
    Ok(plan
        .filter(|p| p.position.iter().all(|v| v.is_finite()))
        .and_then(|p| replace_section(script, "camera", &p.script())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planner_sees_what_each_dynamics_kind_means() {
        let full = dynamics_kinds_for_planner(false);
        assert!(full.contains("- flutters: a cloth"), "{full}");
        assert!(full.contains("- wobbles: a soft body"), "{full}");
        let short = dynamics_kinds_for_planner(true);
        assert!(short.contains("flutters") && !short.contains("a cloth"));
    }

    #[test]
    fn schema_words_and_the_kind_copied_in_as_attributes_are_dropped() {
        let b = Brief {
            objects: vec![ObjectBrief {
                name: "forest".into(),
                kind: "forest".into(),
                count: 1,
                attributes: vec![
                    "colour".into(),
                    "autumn".into(),
                    "size_m".into(),
                    "Material".into(),
                    "Forest".into(),
                    "size_m: 0.5".into(),
                    "colour: red".into(),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let b = normalise_brief(b, "an autumn forest");
        assert_eq!(b.objects[0].attributes, vec!["autumn", "red"]);
    }

    /// The 1.5B planner's brief for Code4D-03, as it wrote it.
    #[test]
    fn describing_words_in_a_kind_become_attributes_and_the_sun_is_no_object() {
        let object = |name: &str| ObjectBrief {
            name: name.into(),
            kind: name.into(),
            count: 1,
            ..Default::default()
        };
        let motion = |kind: &str| crate::brief::DynamicsBrief {
            kind: kind.into(),
            subject: "midday_sun".into(),
            notes: String::new(),
        };
        let b = Brief {
            objects: [
                "midday_sun",
                "tall_trees",
                "brown_spots",
                "bright_pile",
                "leaf_pile",
                "wine_glass",
            ]
            .map(object)
            .to_vec(),
            dynamics: vec![motion("falling_leaves"), motion("spins")],
            ..Default::default()
        };
        let prompt = "The midday sun illuminated tall trees as withered, yellowed leaves with brown spots fell, \
                      spinning before settling on a bright pile of fallen leaves.";
        let b = normalise_brief(b, prompt);
        let kinds: Vec<(&str, &str, u32)> = b
            .objects
            .iter()
            .map(|o| (o.name.as_str(), o.kind.as_str(), o.count))
            .collect();
        assert_eq!(
            kinds,
            [
                ("tall_trees", "tree", 3),
                ("bright_pile", "leaf_pile", 1),
                ("leaf_pile", "leaf_pile", 1),
                ("wine_glass", "wine_glass", 1)
            ]
        );
        assert_eq!(b.objects[0].attributes, ["tall"]);
        assert_eq!(b.objects[1].attributes, ["bright"]);
        assert!(
            b.dynamics.iter().all(|d| d.subject == "tall_trees"),
            "{:?}",
            b.dynamics
        );
        // A bedroom is the setting, not an object.
        let room = Brief {
            objects: vec![
                ObjectBrief {
                    name: "bedroom".into(),
                    kind: "bedroom".into(),
                    count: 1,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "cup".into(),
                    kind: "cup".into(),
                    count: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let room = normalise_brief(room, prompt);
        assert_eq!(room.objects.len(), 1);
        assert_eq!(room.objects[0].name, "cup");
        // A chopped tree is a stump.
        let chopped = Brief {
            objects: vec![ObjectBrief {
                name: "weathered_chopped_tree".into(),
                kind: "tree".into(),
                count: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(normalise_brief(chopped, prompt).objects[0].kind, "stump");
        // A motion said twice is kept once.
        let twice = Brief {
            dynamics: vec![motion("rain"), motion("rain")],
            ..Default::default()
        };
        assert_eq!(normalise_brief(twice, prompt).dynamics.len(), 1);
    }

    #[test]
    fn particle_things_planned_as_objects_become_dynamics() {
        let b = Brief {
            objects: vec![
                ObjectBrief {
                    name: "tree".into(),
                    kind: "tree".into(),
                    count: 1,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "leaves".into(),
                    kind: "leaves".into(),
                    count: 30,
                    attributes: vec!["yellow".into()],
                    ..Default::default()
                },
                ObjectBrief {
                    name: "drops".into(),
                    kind: "raindrops".into(),
                    count: 100,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "fallen_leaves".into(),
                    kind: "falling_leaves".into(),
                    count: 30,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "streaks".into(),
                    kind: "particles".into(),
                    count: 30,
                    attributes: vec!["rain".into(), "diagonal".into()],
                    ..Default::default()
                },
                ObjectBrief {
                    name: "puffs".into(),
                    kind: "particles".into(),
                    count: 30,
                    ..Default::default()
                },
                ObjectBrief {
                    name: "pile".into(),
                    kind: "leaf pile".into(),
                    count: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let b = normalise_brief(b, "Leaves fall from a tree in the rain.");
        let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["tree", "pile"]);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["falling_leaves", "rain"]);
        // The sun's course is the time of day, however the planner put it.
        let mut day = b.clone();
        for (kind, subject) in [
            ("rises", "sunrise"),
            ("sways", "golden afternoon light"),
            ("rolls", "tree"),
        ] {
            day.dynamics.push(crate::brief::DynamicsBrief {
                kind: kind.into(),
                subject: subject.into(),
                notes: String::new(),
            });
        }
        day.dynamics.push(crate::brief::DynamicsBrief {
            kind: "spins".into(),
            subject: "fallen leaves".into(),
            notes: String::new(),
        });
        let day = normalise_brief(day, "A time-lapse from dawn to dusk.");
        let kinds: Vec<&str> = day.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["falling_leaves", "rain", "time_of_day", "rolls"]);
        assert_eq!(b.dynamics[0].notes, "yellow");
    }

    #[test]
    fn catalog_builders_are_found_by_the_objects_kind() {
        let index = Index::build(
            crate::script::Session::new(crate::limits::Limits::default(), None).registry(),
        );
        let builder = |kind: &str| {
            let o = ObjectBrief {
                kind: kind.into(),
                ..Default::default()
            };
            catalog_builder(&index, &o).map(|(name, _)| name)
        };
        assert_eq!(builder("tree").as_deref(), Some("assets::tree"));
        assert_eq!(builder("bottles").as_deref(), Some("assets::bottle"));
        assert_eq!(builder("coffee cup").as_deref(), Some("assets::cup"));
        assert_eq!(builder("robot"), None);
        assert_eq!(builder("forest"), None);
        assert_eq!(builder("sand dune").as_deref(), Some("nature::dune"));
    }

    #[test]
    fn a_problem_is_traced_to_its_section() {
        let script = "// title\nworld(#{ duration: 3 });\n\n// ---- environment ----\nplane(10);\n\n// ---- camera ----\ncamera(#{});\n\n// ---- dynamics ----\nset(x);\nexpect(y);\n";
        let secs = sections(script);
        let titles: Vec<&str> = secs.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles, ["environment", "camera", "dynamics"]);
        assert_eq!(secs[2].1, 10..12);
        let error_at = |line: u64| Problem::Error {
            error: json!({ "line": line }),
            function: String::new(),
            words: String::new(),
        };
        assert_eq!(section_for(&error_at(11), &secs), Some(2));
        assert_eq!(section_for(&error_at(5), &secs), Some(0));
        assert_eq!(section_for(&error_at(2), &secs), None);
        let critic = |ids: &[&str]| Problem::Critic {
            score: 40,
            findings: ids
                .iter()
                .map(|id| Note {
                    id: id.to_string(),
                    severity: "error".into(),
                    message: String::new(),
                    fix: String::new(),
                })
                .collect(),
        };
        assert_eq!(
            section_for(&critic(&["visual.subject_too_small"]), &secs),
            Some(1)
        );
        assert_eq!(
            section_for(
                &critic(&["visual.subject_too_small", "intent.expect_moves"]),
                &secs
            ),
            Some(2)
        );
    }
}
