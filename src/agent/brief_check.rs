//! The planner's brief held against the prompt's own words, before anything
//! is built from it: a motion the description names must be planned as a
//! dynamics kind that shows it ("flutters" is not "flows"), and an object
//! the description names must keep that noun as its kind (a jellyfish is
//! not a "bottle"); scenery and moving particles it names must be there
//! (an autumn forest, leaves that dance), and motions it never asks for
//! (a tree that swings in a time-lapse) must not. The planner is sent its
//! problems once; what is still
//! wrong after that is mended here, so the critic later checks for what
//! the words asked.

use super::words::{
    LICENSED_MOTIONS, MATTER_WORDS, MOTION_WORDS, NEEDS_MATTER, PARTICLE_WORDS, SCENERY_WORDS,
};
use crate::brief::{Brief, DYNAMICS_MEANINGS, DynamicsBrief, ObjectBrief};

/// One way a brief strays from its prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum BriefProblem {
    /// The prompt says `word`, and no dynamics item is of any of `kinds`.
    MissingMotion {
        word: String,
        kinds: &'static [&'static str],
    },
    /// The object `name` is what the prompt calls `word`, but its kind
    /// is `kind`, a word the prompt never uses.
    WrongKind {
        name: String,
        kind: String,
        word: String,
    },
    /// The prompt names scenery (`word`) that no object of `kind` holds.
    MissingScenery { word: String, kind: &'static str },
    /// The prompt names particles (`word`) that no dynamics item makes.
    MissingParticles { word: String, kind: &'static str },
    /// A dynamics item of `kind` that nothing in the prompt asks for.
    UnaskedMotion { kind: String, subject: String },
    /// The prompt names fog or mist (`word`) that the brief's weather lacks.
    MissingWeather { word: String },
    /// Object `name` is sand or a liquid that a pour or flow already makes
    /// as particles; as an object it would be rigid copies.
    MatterAsObject { name: String },
    /// Object `name` is a part of object `whole` (a jellyfish's bell): the
    /// whole's builder makes it, and alone it is a stray shape.
    PartAsObject { name: String, whole: String },
}

/// Parts a planner lists beside their whole, by the whole's head noun.
const PARTS_OF: &[(&str, &[&str])] = &[
    ("jellyfish", &["bell", "tentacle", "tentacles", "umbrella"]),
    (
        "tree",
        &[
            "trunk", "branch", "branches", "crown", "bark", "root", "roots",
        ],
    ),
    ("stump", &["root", "roots", "bark", "trunk"]),
    ("cup", &["handle", "rim"]),
    ("mug", &["handle", "rim"]),
    ("bottle", &["neck", "cap", "label", "cork"]),
    ("table", &["leg", "legs", "tabletop", "top"]),
    ("chair", &["leg", "legs", "seat", "backrest"]),
    ("lamp", &["shade", "bulb"]),
];

/// Words for air the camera sees through; the brief's weather must carry one
/// when the prompt does, so the world gets fog.
const FOG_WORDS: &[&str] = &["mist", "misty", "fog", "foggy", "haze", "hazy"];

/// Kinds of thing that stay where they stand, with the motions a brief
/// must not give them.
const STILL_THINGS: &[(&[&str], &[&str])] = &[
    (
        &[
            "tree",
            "trees",
            "forest",
            "oak",
            "pine",
            "palm",
            "maple",
            "birch",
            "pile",
            "leaf_pile",
            "heap",
            "mound",
            "canopy",
            "woods",
            "grove",
        ],
        &["spins", "rolls", "slides", "bounces", "rises", "drifts"],
    ),
    (
        &[
            "dune", "dunes", "hill", "mountain", "desert", "sand", "valley", "terrain", "ground",
            "rock", "stone", "boulder", "root", "roots",
        ],
        &[
            "sways", "spins", "rolls", "bounces", "drifts", "falls", "slides", "rises", "topples",
        ],
    ),
];

impl BriefProblem {
    /// What the planner is told.
    pub fn message(&self) -> String {
        match self {
            BriefProblem::MissingMotion { word, kinds } => {
                let meaning = DYNAMICS_MEANINGS
                    .iter()
                    .find(|(k, _)| *k == kinds[0])
                    .map_or("", |(_, m)| m);
                format!(
                    "the description says \"{word}\", but no dynamics item has kind {} ({meaning})",
                    kinds.join(" or ")
                )
            }
            BriefProblem::WrongKind { name, kind, word } => format!(
                "object \"{name}\" is the description's \"{word}\" but has kind \"{kind}\": the kind must be \
the noun the description uses"
            ),
            BriefProblem::MissingScenery { word, kind } => format!(
                "the description names a {word}, but no object has kind {kind}: add it as one object \
(count 1, role background)"
            ),
            BriefProblem::MissingParticles { word, kind } => {
                format!("the description names {word}, but no dynamics item has kind {kind}")
            }
            BriefProblem::UnaskedMotion { kind, subject } => format!(
                "the description never says that {} {kind}: drop that dynamics item",
                if subject.is_empty() {
                    "anything"
                } else {
                    subject
                }
            ),
            BriefProblem::PartAsObject { name, whole } => {
                format!("object \"{name}\" is part of \"{whole}\", which is built whole: drop it")
            }
            BriefProblem::MatterAsObject { name } => format!(
                "object \"{name}\" is matter that the dynamics pour as particles, not an object: drop it"
            ),
            BriefProblem::MissingWeather { word } => format!(
                "the description says \"{word}\", but environment.weather does not: put \"{word}\" in it"
            ),
        }
    }
}

/// A word's stem, enough to match a verb's forms: "fluttering",
/// "flutters" and "fluttered" are "flutter"; "wobble" and "wobbling" are
/// "wobbl"; "spinning" is "spin".
pub fn stem(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    let mut s = w.as_str();
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(rest) = s.strip_suffix(suffix)
            && rest.len() >= 3
        {
            s = rest;
            break;
        }
    }
    let mut s = s
        .strip_suffix('e')
        .filter(|r| r.len() >= 3)
        .unwrap_or(s)
        .to_string();
    // A doubled last consonant: "spinn" (spinning), "dripp".
    let b = s.as_bytes();
    if b.len() >= 4 && b[b.len() - 1] == b[b.len() - 2] && !b"aeiousl".contains(&b[b.len() - 1]) {
        s.pop();
    }
    s
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// Where `brief` strays from `prompt`'s words.
pub fn problems(brief: &Brief, prompt: &str) -> Vec<BriefProblem> {
    let said = words(prompt);
    let stems: Vec<String> = said.iter().map(|w| stem(w)).collect();
    let has_matter = said
        .iter()
        .any(|w| MATTER_WORDS.iter().any(|m| w == m || stem(w) == stem(m)));
    let mut out = Vec::new();
    for (motion, kinds) in MOTION_WORDS {
        let Some(i) = stems.iter().position(|s| s == motion) else {
            continue;
        };
        if NEEDS_MATTER.contains(motion) && !has_matter {
            continue;
        }
        if !brief
            .dynamics
            .iter()
            .any(|d| kinds.contains(&d.kind.as_str()))
        {
            out.push(BriefProblem::MissingMotion {
                word: said[i].clone(),
                kinds,
            });
        }
    }
    for (word, kind) in SCENERY_WORDS {
        let named = said.iter().any(|w| w == word);
        let held = brief.objects.iter().any(|o| {
            let said = words(&format!("{} {}", o.kind, o.name));
            // A forest holds the prompt's trees.
            let trees = *kind == "tree"
                && said
                    .iter()
                    .any(|w| SCENERY_WORDS.contains(&(w.as_str(), "forest")));
            trees
                || said
                    .iter()
                    .any(|w| SCENERY_WORDS.iter().any(|(s, k)| s == w && k == kind))
        });
        if named
            && !held
            && !out
                .iter()
                .any(|p| matches!(p, BriefProblem::MissingScenery { kind: k, .. } if k == kind))
        {
            out.push(BriefProblem::MissingScenery {
                word: word.to_string(),
                kind,
            });
        }
    }
    // "Settling on a pile of fallen leaves": the pile is scenery the
    // catalog builds (nature::leaf_pile).
    let leaf_pile_said = stems.iter().any(|s| s == "pil" || s == "heap")
        && stems.iter().any(|s| s.starts_with("leav") || s == "leaf");
    let pile_held = brief.objects.iter().any(|o| {
        words(&o.kind)
            .iter()
            .any(|w| w.contains("pile") || w == "heap")
    });
    if leaf_pile_said && !pile_held {
        out.push(BriefProblem::MissingScenery {
            word: "pile of leaves".into(),
            kind: "leaf_pile",
        });
    }
    for (particle, kind, with) in PARTICLE_WORDS {
        let Some(i) = stems.iter().position(|s| s == particle) else {
            continue;
        };
        let moving = with.is_none_or(|verbs| stems.iter().any(|s| verbs.contains(&s.as_str())));
        let planned = brief.dynamics.iter().any(|d| d.kind == *kind);
        let reported = out
            .iter()
            .any(|p| matches!(p, BriefProblem::MissingParticles { kind: k, .. } if k == kind));
        if moving && !planned && !reported {
            out.push(BriefProblem::MissingParticles {
                word: said[i].clone(),
                kind,
            });
        }
    }
    for d in &brief.dynamics {
        let Some((_, licences)) = LICENSED_MOTIONS.iter().find(|(k, _)| *k == d.kind) else {
            continue;
        };
        let licensed = said
            .iter()
            .zip(&stems)
            .any(|(w, s)| licences.iter().any(|l| s == l || w.starts_with(l)));
        if !licensed {
            out.push(BriefProblem::UnaskedMotion {
                kind: d.kind.clone(),
                subject: d.subject.clone(),
            });
        }
    }
    // Things that stay where they stand, and the motions a brief must not
    // hand them: in "leaves fell, spinning" it is the leaves that spin, and
    // falling_leaves tumbles them; a wood never rises or drifts (Code4D-02's
    // "canopy rises" floated the forest off the ground); ground does not
    // sway in a breeze (a dune, a hill or a rock is still; the sand on it
    // flows).
    for d in &brief.dynamics {
        let refused = STILL_THINGS.iter().any(|(kinds, motions)| {
            motions.contains(&d.kind.as_str())
                && brief.objects.iter().any(|o| {
                    o.name == d.subject
                        && words(&o.kind).iter().any(|w| kinds.contains(&w.as_str()))
                })
        });
        let reported = out.iter().any(|p| {
            matches!(p, BriefProblem::UnaskedMotion { kind, subject }
                if *kind == d.kind && *subject == d.subject)
        });
        if refused && !reported {
            out.push(BriefProblem::UnaskedMotion {
                kind: d.kind.clone(),
                subject: d.subject.clone(),
            });
        }
    }
    // Poured or flowing matter is made by its dynamics; listed as an object
    // too, it becomes rigid stand-ins (ten sand cylinders on a dune).
    let pours = |kinds: &[DynamicsBrief]| {
        kinds.iter().any(|d| {
            ["flows", "pours", "fills", "spills", "splashes", "piles"].contains(&d.kind.as_str())
        })
    };
    let will_pour = pours(&brief.dynamics)
        || out.iter().any(|p| {
            matches!(p, BriefProblem::MissingMotion { kinds, .. }
                if ["flows", "pours", "fills", "spills", "splashes"].contains(&kinds[0]))
        });
    if will_pour {
        for o in &brief.objects {
            if words(&o.kind).iter().any(|w| {
                MATTER_WORDS.contains(&w.as_str())
                    && !["fountain", "river", "stream"].contains(&w.as_str())
            }) {
                out.push(BriefProblem::MatterAsObject {
                    name: o.name.clone(),
                });
            }
        }
    }
    for whole in &brief.objects {
        let head = words(&whole.kind).pop().unwrap_or_default();
        let Some((_, parts)) = PARTS_OF
            .iter()
            .find(|(w, _)| *w == head || format!("{w}s") == head)
        else {
            continue;
        };
        for o in &brief.objects {
            if o.name != whole.name
                && words(&o.kind)
                    .pop()
                    .is_some_and(|w| parts.contains(&w.as_str()))
            {
                out.push(BriefProblem::PartAsObject {
                    name: o.name.clone(),
                    whole: whole.name.clone(),
                });
            }
        }
    }
    if let Some(word) = said.iter().find(|w| FOG_WORDS.contains(&w.as_str())) {
        let weather = brief.environment.weather.to_ascii_lowercase();
        if !FOG_WORDS.iter().any(|f| weather.contains(f)) {
            out.push(BriefProblem::MissingWeather { word: word.clone() });
        }
    }
    for o in &brief.objects {
        // The name's last word is its head noun ("blue_flag" is a flag).
        let named = words(&o.name).pop().filter(|w| stems.contains(&stem(w)));
        let kind_said = words(&o.kind).iter().any(|w| stems.contains(&stem(w)));
        if let Some(word) = named
            && !kind_said
        {
            out.push(BriefProblem::WrongKind {
                name: o.name.clone(),
                kind: o.kind.clone(),
                word,
            });
        }
    }
    out
}

/// Mends what the planner left wrong: a missing motion becomes a dynamics
/// item of its first kind on the subject, a wrong kind becomes the
/// prompt's noun, missing scenery an object of its kind (with the prompt's
/// season, so an autumn forest is autumnal), missing particles a dynamics
/// item of their kind.
pub fn mend(brief: &mut Brief, problems: &[BriefProblem]) {
    let subject = brief.subject_name();
    for p in problems {
        match p {
            BriefProblem::MissingMotion { word, kinds } => {
                if !brief
                    .dynamics
                    .iter()
                    .any(|d| kinds.contains(&d.kind.as_str()))
                {
                    brief.dynamics.push(DynamicsBrief {
                        kind: kinds[0].to_string(),
                        subject: subject.clone(),
                        notes: format!("the description says \"{word}\""),
                    });
                }
            }
            BriefProblem::WrongKind { name, word, .. } => {
                if let Some(o) = brief.objects.iter_mut().find(|o| &o.name == name) {
                    o.kind = word.clone();
                }
            }
            BriefProblem::MissingScenery { word, kind } => {
                let season: Vec<String> = words(&brief.prompt)
                    .into_iter()
                    .filter(|w| {
                        ["autumn", "fall", "winter", "spring", "summer", "dense"]
                            .contains(&w.as_str())
                    })
                    .collect();
                let name = if brief.objects.iter().any(|o| o.name == *kind) {
                    format!("{kind}_2")
                } else {
                    kind.to_string()
                };
                // A table or desk is what the subject stands on.
                let support = matches!(*kind, "table" | "desk");
                if support {
                    let names: Vec<String> = brief.objects.iter().map(|o| o.name.clone()).collect();
                    if let Some(o) = brief.objects.iter_mut().find(|o| o.name == subject)
                        && !names.iter().any(|n| words(&o.placement).contains(n))
                    {
                        o.placement = format!("on the {name}");
                    }
                }
                brief.objects.push(ObjectBrief {
                    name,
                    kind: kind.to_string(),
                    // "tall trees" are a few.
                    count: if word.ends_with('s') && *kind == "tree" {
                        3
                    } else {
                        1
                    },
                    attributes: season,
                    role: if support { "support" } else { "background" }.into(),
                    ..Default::default()
                });
            }
            BriefProblem::PartAsObject { name, whole } => {
                brief.objects.retain(|o| &o.name != name);
                for d in brief.dynamics.iter_mut().filter(|d| &d.subject == name) {
                    d.subject = whole.clone();
                }
                brief
                    .dynamics
                    .dedup_by(|a, b| a.kind == b.kind && a.subject == b.subject);
            }
            BriefProblem::MatterAsObject { name } => {
                brief.objects.retain(|o| &o.name != name);
                let other = brief.subject_name();
                for d in brief.dynamics.iter_mut().filter(|d| &d.subject == name) {
                    d.subject = other.clone();
                }
            }
            BriefProblem::MissingWeather { word } => {
                let weather = brief.environment.weather.trim();
                brief.environment.weather =
                    if weather.is_empty() || weather.eq_ignore_ascii_case("clear") {
                        word.clone()
                    } else {
                        format!("{weather}, {word}")
                    };
            }
            BriefProblem::UnaskedMotion { kind, subject } => {
                brief
                    .dynamics
                    .retain(|d| !(d.kind == *kind && d.subject == *subject));
            }
            BriefProblem::MissingParticles { word, kind } => {
                if !brief.dynamics.iter().any(|d| d.kind == *kind) {
                    brief.dynamics.push(DynamicsBrief {
                        kind: kind.to_string(),
                        subject: String::new(),
                        notes: format!("the description says \"{word}\""),
                    });
                }
            }
        }
    }
}

/// Mends what `brief` gets wrong against `prompt` (again while mending
/// uncovers more), then drops any motion the mending gave a subject that
/// cannot do it ("spinning" given to the trees the leaves fall from).
pub fn mend_against(brief: &mut Brief, prompt: &str) {
    // Mending can uncover more: a "dust" renamed "sand" is then matter
    // that the new flow pours. A few passes, until nothing changes.
    for _ in 0..3 {
        let found = problems(brief, prompt);
        let before = serde_json::to_value(&*brief).ok();
        mend(brief, &found);
        if found.is_empty() || serde_json::to_value(&*brief).ok() == before {
            break;
        }
    }
    let unasked: Vec<BriefProblem> = problems(brief, prompt)
        .into_iter()
        .filter(|p| matches!(p, BriefProblem::UnaskedMotion { .. }))
        .collect();
    mend(brief, &unasked);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brief::ObjectBrief;

    fn object(name: &str, kind: &str, role: &str) -> ObjectBrief {
        ObjectBrief {
            name: name.into(),
            kind: kind.into(),
            count: 1,
            role: role.into(),
            ..Default::default()
        }
    }

    fn dynamics(kind: &str, subject: &str) -> DynamicsBrief {
        DynamicsBrief {
            kind: kind.into(),
            subject: subject.into(),
            notes: String::new(),
        }
    }

    #[test]
    fn stems_join_a_verbs_forms() {
        for (a, b) in [
            ("flutters", "fluttering"),
            ("wobbles", "wobbling"),
            ("wobble", "wobbled"),
            ("spins", "spinning"),
            ("poured", "pours"),
            ("bounces", "bouncing"),
            ("slides", "sliding"),
            ("splashes", "splash"),
            ("topples", "toppling"),
            ("rolls", "rolling"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        assert_ne!(stem("rolls"), stem("roofs"));
    }

    #[test]
    fn a_flag_filed_under_flows_is_caught_and_mended() {
        let prompt = "a blue flag flutters in a strong gusty wind on a hilltop";
        let mut b = Brief {
            objects: vec![
                object("flag", "flag", "subject"),
                object("pole", "pole", "support"),
            ],
            dynamics: vec![dynamics("flows", "flag")],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message().contains("\"flutters\""));
        assert!(found[0].message().contains("flutters or waves"));
        mend(&mut b, &found);
        assert!(
            b.dynamics
                .iter()
                .any(|d| d.kind == "flutters" && d.subject == "flag")
        );
        assert!(problems(&b, prompt).is_empty());
    }

    #[test]
    fn a_forest_with_dancing_leaves_planned_as_one_tree_is_mended() {
        let prompt = "A breeze stirs through the autumn forest, gently swaying the entire tree as leaves dance in the wind.";
        let mut b = Brief {
            prompt: prompt.into(),
            objects: vec![object("tree", "tree", "subject")],
            dynamics: vec![dynamics("sways", "tree")],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert_eq!(
            found,
            vec![
                BriefProblem::MissingScenery {
                    word: "forest".into(),
                    kind: "forest"
                },
                BriefProblem::MissingParticles {
                    word: "leaves".into(),
                    kind: "falling_leaves"
                },
            ]
        );
        mend(&mut b, &found);
        let forest = b.objects.iter().find(|o| o.kind == "forest").unwrap();
        assert_eq!(forest.attributes, vec!["autumn"]);
        assert!(b.dynamics.iter().any(|d| d.kind == "falling_leaves"));
        assert_eq!(problems(&b, prompt), vec![]);
        // Leaves that only hang on a tree are no particles.
        let still = "a tree with green leaves stands on a hill";
        let b = Brief {
            objects: vec![object("tree", "tree", "subject")],
            ..Default::default()
        };
        assert_eq!(problems(&b, still), vec![]);
    }

    #[test]
    fn flowing_sand_is_grains_from_the_dune_not_bouncing_objects() {
        let prompt =
            "a desert afternoon, as sand flows like liquid silk down the ridgeline of a dune";
        let mut b = Brief {
            objects: vec![object("dune", "dune", "background"), {
                let mut sand = object("sand", "sand", "subject");
                sand.count = 10;
                sand
            }],
            dynamics: vec![dynamics("bounces", "sand")],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        for p in &found {
            assert!(!p.message().is_empty());
        }
        assert!(
            found.contains(&BriefProblem::UnaskedMotion {
                kind: "bounces".into(),
                subject: "sand".into()
            }),
            "{found:?}"
        );
        assert!(
            found.contains(&BriefProblem::MatterAsObject {
                name: "sand".into()
            }),
            "{found:?}"
        );
        mend(&mut b, &found);
        let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["dune"]);
        let kinds: Vec<(&str, &str)> = b
            .dynamics
            .iter()
            .map(|d| (d.kind.as_str(), d.subject.as_str()))
            .collect();
        assert_eq!(kinds, [("flows", "dune")], "{b:?}");
    }

    #[test]
    fn a_pile_of_fallen_leaves_is_scenery() {
        let prompt = "leaves fell, spinning before settling on a bright pile of fallen leaves";
        let mut b = Brief {
            dynamics: vec![dynamics("falling_leaves", "")],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert!(
            found.iter().any(|p| matches!(
                p,
                BriefProblem::MissingScenery {
                    kind: "leaf_pile",
                    ..
                }
            )),
            "{found:?}"
        );
        mend(&mut b, &found);
        assert!(b.objects.iter().any(|o| o.kind == "leaf_pile"), "{b:?}");
        assert!(
            !problems(&b, prompt)
                .iter()
                .any(|p| matches!(p, BriefProblem::MissingScenery { .. }))
        );
    }

    #[test]
    fn trees_do_not_spin_when_the_leaves_do() {
        let prompt = "withered leaves fell silently from tall trees, spinning before settling";
        let mut b = Brief {
            objects: vec![object("tall_trees", "tree", "background")],
            dynamics: vec![
                dynamics("spins", "tall_trees"),
                dynamics("falling_leaves", ""),
            ],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert_eq!(
            found,
            vec![BriefProblem::UnaskedMotion {
                kind: "spins".into(),
                subject: "tall_trees".into()
            }]
        );
        mend(&mut b, &found);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["falling_leaves"]);
    }

    /// The 1.5B planner's second brief for Code4D-03: the pile of leaves
    /// spins, and the tall trees are gone.
    #[test]
    fn a_spinning_pile_is_dropped_and_the_prompts_trees_come_back() {
        let prompt = "The midday sun illuminated tall trees as withered, yellowed leaves with brown spots \
                      fell silently, spinning before settling on a bright pile of fallen leaves.";
        let mut b = Brief {
            objects: vec![object("fallen_leaves_pile", "leaf_pile", "subject")],
            dynamics: vec![
                dynamics("falling_leaves", ""),
                dynamics("spins", "fallen_leaves_pile"),
            ],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert!(
            found.contains(&BriefProblem::UnaskedMotion {
                kind: "spins".into(),
                subject: "fallen_leaves_pile".into()
            }),
            "{found:?}"
        );
        mend(&mut b, &found);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["falling_leaves"]);
        let trees = b
            .objects
            .iter()
            .find(|o| o.kind == "tree")
            .expect("the trees");
        assert_eq!(trees.count, 3);
        // A forest holds a prompt's trees: none are added beside it.
        let forest = Brief {
            objects: vec![object("forest", "forest", "subject")],
            dynamics: vec![dynamics("rain", ""), dynamics("sways", "forest")],
            ..Default::default()
        };
        let found = problems(
            &forest,
            "A dense forest in a rainstorm, tall trees swaying in the wind.",
        );
        assert!(
            !found
                .iter()
                .any(|p| matches!(p, BriefProblem::MissingScenery { kind: "tree", .. })),
            "{found:?}"
        );
    }

    /// Code4D-02's brief: the canopy rises (the light does, through it).
    #[test]
    fn a_canopy_does_not_rise() {
        let prompt = "A 10-second time-lapse from warm pre-dawn to sunrise, then midday sunlight through a \
                      green canopy, golden late afternoon, and a moonlit, misty night.";
        let mut b = Brief {
            objects: vec![object("canopy", "canopy", "subject")],
            dynamics: vec![dynamics("rises", "canopy"), dynamics("time_of_day", "")],
            ..Default::default()
        };
        mend_against(&mut b, prompt);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["time_of_day"]);
    }

    /// The 1.5B planner's Code4D-05 brief: the dune sways in the breeze.
    /// Code4D-08's brief: the cup and its handle, no coffee table; the
    /// cup is stood on one, and the handle is the cup's.
    #[test]
    fn a_cup_on_a_coffee_table_gets_its_table() {
        let prompt = "A tall ceramic cup with a wide, curved handle lies tipped on its side on the living room \
                      coffee table, spilling water from its wide rim.";
        let mut b = Brief {
            objects: vec![
                object("ceramic_cup", "cup", "subject"),
                object("wide_curved_handle", "handle", "support"),
            ],
            dynamics: vec![dynamics("spills", "ceramic_cup")],
            ..Default::default()
        };
        mend_against(&mut b, prompt);
        let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["ceramic_cup", "table"]);
        assert_eq!(b.objects[0].placement, "on the table");
    }

    /// Code4D-07's brief: the roots flutter and sway, the chopped tree
    /// falls; the prompt says none of it.
    #[test]
    fn roots_do_not_flutter_and_a_chopped_tree_does_not_fall() {
        let prompt = "A weathered chopped tree burns fiercely in the dark forest, with bright yellow flames \
                      rising from the center and glowing red embers on the edges. The flickering light casts \
                      dynamic shadows on the gnarled roots spreading into the dirt.";
        let mut b = Brief {
            objects: vec![
                object("tree", "tree", "subject"),
                object("gnarled_roots", "root", "support"),
            ],
            dynamics: vec![
                dynamics("fire", "tree"),
                dynamics("flutters", "gnarled_roots"),
                dynamics("falls", "tree"),
                dynamics("sways", "gnarled_roots"),
                dynamics("embers", ""),
            ],
            ..Default::default()
        };
        mend_against(&mut b, prompt);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert!(
            kinds.contains(&"fire") && kinds.contains(&"embers"),
            "{kinds:?}"
        );
        for gone in ["flutters", "falls", "sways"] {
            assert!(!kinds.contains(&gone), "{kinds:?}");
        }
    }

    /// Code4D-06: the planner lists the jellyfish's bell as an object too;
    /// it became a stray cylinder beside the catalog's jellyfish.
    #[test]
    fn a_jellyfish_bell_listed_apart_is_part_of_the_jellyfish() {
        let prompt = "A translucent jellyfish glowing in blue, its bell pulsating as it drifts.";
        let mut b = Brief {
            objects: vec![
                object("jellyfish", "jellyfish", "subject"),
                object("bell", "bell", "support"),
            ],
            dynamics: vec![
                dynamics("drifts", "jellyfish"),
                dynamics("pulsates", "bell"),
            ],
            ..Default::default()
        };
        assert!(problems(&b, prompt).contains(&BriefProblem::PartAsObject {
            name: "bell".into(),
            whole: "jellyfish".into()
        }));
        mend_against(&mut b, prompt);
        let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["jellyfish"]);
        assert!(
            b.dynamics
                .iter()
                .any(|d| d.kind == "pulsates" && d.subject == "jellyfish")
        );
    }

    /// Code4D-05: the sand is "dust" with no flow; once renamed and given
    /// its flow, it is matter the flow makes, not thirty objects.
    #[test]
    fn sand_renamed_from_dust_is_poured_not_built() {
        let prompt = "A peaceful desert afternoon with a gentle breeze, as sand flows like liquid silk \
                      down the sharp ridgeline of a dune.";
        let mut b = Brief {
            objects: vec![
                object("dune", "dune", "background"),
                object("sand", "dust", "support"),
            ],
            dynamics: vec![dynamics("drifts", "sand")],
            ..Default::default()
        };
        mend_against(&mut b, prompt);
        let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["dune"]);
        assert!(
            b.dynamics.iter().any(|d| d.kind == "flows"),
            "{:?}",
            b.dynamics
        );
        // The sand's drift does not pass to the dune: ground stays put.
        assert!(
            !b.dynamics.iter().any(|d| d.kind == "drifts"),
            "{:?}",
            b.dynamics
        );
    }

    /// Code4D-03 again: the planner's brief has the leaves fall but no
    /// spin; mending must not hand "spinning" to the trees.
    #[test]
    fn a_mended_spin_does_not_land_on_the_trees() {
        let prompt = "The midday sun illuminated tall trees as withered, yellowed leaves with brown spots \
                      fell silently, spinning before settling on a bright pile of fallen leaves.";
        let mut b = Brief {
            objects: vec![object("tall_trees", "tree", "support")],
            dynamics: vec![dynamics("falling_leaves", "tall_trees")],
            ..Default::default()
        };
        mend_against(&mut b, prompt);
        assert!(
            !b.dynamics
                .iter()
                .any(|d| d.kind == "spins" && d.subject == "tall_trees"),
            "{:?}",
            b.dynamics
        );
        assert!(b.objects.iter().any(|o| o.kind == "leaf_pile"));
    }

    #[test]
    fn a_dune_does_not_sway() {
        let prompt = "A peaceful desert afternoon with a gentle breeze, as sand flows like liquid silk \
                      down the sharp ridgeline of a dune.";
        let mut b = Brief {
            objects: vec![object("dune", "dune", "subject")],
            dynamics: vec![dynamics("sways", "dune"), dynamics("flows", "dune")],
            ..Default::default()
        };
        let found = problems(&b, prompt);
        mend(&mut b, &found);
        let kinds: Vec<&str> = b.dynamics.iter().map(|d| d.kind.as_str()).collect();
        assert!(
            !kinds.contains(&"sways") && kinds.contains(&"flows"),
            "{kinds:?}"
        );
    }

    #[test]
    fn motions_nothing_asks_for_are_dropped() {
        let prompt = "A 10-second time-lapse from pre-dawn to a moonlit, misty night.";
        let mut b = Brief {
            objects: vec![object("tree", "tree", "background")],
            dynamics: vec![dynamics("time_of_day", ""), dynamics("swings", "tree")],
            environment: crate::brief::EnvironmentBrief {
                weather: "mist at night".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let found = problems(&b, prompt);
        assert_eq!(
            found,
            vec![BriefProblem::UnaskedMotion {
                kind: "swings".into(),
                subject: "tree".into()
            }]
        );
        mend(&mut b, &found);
        assert_eq!(b.dynamics.len(), 1);
        assert_eq!(b.dynamics[0].kind, "time_of_day");
        // A time-lapse planned without the day passing is caught.
        let mut b = Brief::default();
        let found = problems(&b, prompt);
        assert!(
            matches!(
                found.as_slice(),
                [BriefProblem::MissingMotion { kinds, .. }, BriefProblem::MissingWeather { word }]
                    if kinds[0] == "time_of_day" && word == "misty"
            ),
            "{found:?}"
        );
        // The misty night the brief's weather left out is put back, so the
        // world gets fog and the critic checks for it.
        b.environment.weather = "clear".into();
        mend(&mut b, &found);
        assert_eq!(b.environment.weather, "misty");
        assert!(problems(&b, prompt).is_empty());
        // A pendulum licenses its swing.
        let b = Brief {
            objects: vec![object("pendulum", "pendulum", "subject")],
            dynamics: vec![dynamics("swings", "pendulum")],
            ..Default::default()
        };
        assert_eq!(problems(&b, "a brass pendulum in a clock"), vec![]);
    }

    #[test]
    fn only_the_names_head_noun_claims_a_kind() {
        let prompt = "a blue flag flutters on a pole";
        let b = Brief {
            objects: vec![object("blue_box", "box", "subject")],
            dynamics: vec![dynamics("flutters", "blue_box")],
            ..Default::default()
        };
        assert_eq!(problems(&b, prompt), vec![]);
    }

    #[test]
    fn a_jellyfish_of_kind_bottle_is_caught_and_renamed() {
        let prompt = "a glowing jellyfish pulsates as it drifts in the deep sea";
        let mut b = Brief {
            objects: vec![object("jellyfish", "bottle", "subject")],
            dynamics: vec![
                dynamics("pulsates", "jellyfish"),
                dynamics("drifts", "jellyfish"),
                dynamics("glows", "jellyfish"),
            ],
            ..Default::default()
        };
        // Its drifting and glowing are motions the brief must keep.
        let mut without = b.clone();
        without.dynamics.truncate(1);
        let kinds: Vec<&str> = problems(&without, prompt)
            .iter()
            .filter_map(|p| match p {
                BriefProblem::MissingMotion { kinds, .. } => Some(kinds[0]),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, ["drifts", "glows"]);
        let found = problems(&b, prompt);
        assert_eq!(
            found,
            vec![BriefProblem::WrongKind {
                name: "jellyfish".into(),
                kind: "bottle".into(),
                word: "jellyfish".into()
            }]
        );
        mend(&mut b, &found);
        assert_eq!(b.objects[0].kind, "jellyfish");
    }

    #[test]
    fn a_faithful_brief_and_a_non_motion_word_pass() {
        // "filled with light" pours nothing; "wobbling" is planned.
        let prompt = "a green jelly dessert drops onto a white plate and wobbling, in a room filled with light";
        let b = Brief {
            objects: vec![
                object("jelly", "jelly dessert", "subject"),
                object("plate", "plate", "support"),
            ],
            dynamics: vec![dynamics("wobbles", "jelly")],
            ..Default::default()
        };
        assert_eq!(problems(&b, prompt), vec![]);
        // A jelly filed as rigid motion only is caught.
        let rigid = Brief {
            dynamics: vec![dynamics("falls", "jelly")],
            ..b.clone()
        };
        assert!(matches!(
            problems(&rigid, prompt).as_slice(),
            [BriefProblem::MissingMotion { kinds, .. }] if kinds[0] == "wobbles"
        ));
        // Wine poured into a glass needs a liquid kind.
        let wine = "red wine is poured into a glass";
        let b = Brief {
            objects: vec![object("glass", "wine glass", "subject")],
            dynamics: vec![dynamics("falls", "glass")],
            ..Default::default()
        };
        assert!(problems(&b, wine)[0].message().contains("pours or fills"));
    }
}
