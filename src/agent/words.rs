//! The word lists the agent reads a brief with: what the environment stage
//! makes, what comes in hundreds and is particles, what is the time of day,
//! and which primitives everyday things are made of. Kept apart from the
//! stages so that tuning a list touches no prompt logic.

/// The environment stage makes these; as objects they would be built twice.
/// So are the air and motion itself, which small planners list as things.
pub const ENVIRONMENT_KINDS: &[&str] = &[
    "sun", "light", "sky", "ground", "floor", "moon", "lighting", "wind", "breeze", "air",
    "weather", "dynamics", "motion", "cloud", "clouds", "fog", "mist", "storm",
    // A room is the setting, not a thing in it (Code4D-10's "bedroom" was
    // a 5 m cylinder around the camera).
    "room", "bedroom", "kitchen", "office", "bathroom", "interior", "scene",
];

/// Things that come in hundreds are particles, whatever the planner
/// said: as objects they would be hundreds of bodies.
pub const PARTICLE_KINDS: &[(&str, &str)] = &[
    ("leaves", "falling_leaves"),
    ("leaf", "falling_leaves"),
    ("raindrop", "rain"),
    ("rain", "rain"),
    ("snowflake", "snow"),
    ("snow", "snow"),
    ("ember", "embers"),
    ("spark", "embers"),
    ("steam", "steam"),
    ("flame", "fire"),
    ("grain", "flows"),
    ("fire", "fire"),
];

/// Words that describe a thing rather than name it: a planner's kind
/// "tall_trees" is trees that are tall, "midday_sun" the sun at midday.
/// Colours are modifiers too (read with the colour parser).
pub const MODIFIER_WORDS: &[&str] = &[
    "tall",
    "short",
    "small",
    "big",
    "large",
    "tiny",
    "huge",
    "giant",
    "little",
    "old",
    "young",
    "bright",
    "dark",
    "dim",
    "pale",
    "glowing",
    "shiny",
    "wet",
    "dry",
    "withered",
    "yellowed",
    "fallen",
    "falling",
    "burning",
    "weathered",
    "chopped",
    "dense",
    "thick",
    "thin",
    "lush",
    "bare",
    "tilted",
    "tipped",
    "broken",
    "wooden",
    "metal",
    "glass",
    "stone",
    "round",
    "square",
    "soft",
    "hard",
    "heavy",
    "light",
    "translucent",
    "transparent",
    "autumn",
    "winter",
    "summer",
    "spring",
    "midday",
    "morning",
    "evening",
    "night",
    "noon",
    "dawn",
    "dusk",
    "sunset",
    "sunrise",
    "warm",
    "cold",
    "hot",
    "golden",
    "silent",
    "gentle",
    "strong",
    "single",
    "lone",
    "distant",
    "nearby",
    "ancient",
    "crumbling",
    "rolling",
    "drifting",
    "floating",
    "sandy",
    "grassy",
    "rocky",
    "snowy",
];

/// Marks on a thing, not things: "brown spots" belong to the leaves.
pub const FEATURE_NOUNS: &[&str] = &[
    "spot",
    "spots",
    "stripe",
    "stripes",
    "patch",
    "patches",
    "mark",
    "marks",
    "speck",
    "specks",
    "dot",
    "dots",
    "freckles",
    "pattern",
    "texture",
    "shadow",
    "shadows",
    "reflection",
];

/// A pile of leaves or a fire pit is one thing, not particles.
pub const ONE_THING: &[&str] = &[
    "pile", "heap", "mound", "bed", "pit", "log", "wood", "place", "pot", "kettle", "cup", "mug",
    "stump", "tree",
];

/// Light that changes (a sunrise, golden light, night falling) is the
/// time of day, whatever kind the planner gave it.
pub const DAY_WORDS: &[&str] = &[
    "sun",
    "sunrise",
    "sunset",
    "dawn",
    "dusk",
    "daylight",
    "sunlight",
    "moonlight",
    "moon",
    "night",
    "day",
    "timelapse",
    "lapse",
    "afternoon",
    "morning",
    "evening",
];

/// Dynamics kinds that stay what they are whatever words come with them
/// ("light rain at dusk" is rain, not the time of day).
pub const WEATHER_KINDS: &[&str] = &[
    "rain",
    "snow",
    "falling_leaves",
    "embers",
    "steam",
    "fire",
    "wind",
    "flows",
];

/// The primitives that everyday things are usually made of, so retrieval
/// finds `sphere` for a ball and `lathe` for a vase.
pub fn shape_words(kind: &str) -> &'static str {
    let k = kind.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| k.contains(w));
    if has(&[
        "ball", "globe", "orb", "marble", "planet", "bubble", "apple", "orange",
    ]) {
        "sphere"
    } else if has(&[
        "bottle", "vase", "cup", "mug", "glass", "bowl", "jar", "pot", "lamp", "candle",
    ]) {
        "lathe cylinder"
    } else if has(&[
        "box", "crate", "domino", "brick", "block", "book", "cube", "plank", "wall", "shelf",
    ]) {
        "box"
    } else if has(&[
        "coin", "wheel", "disc", "can", "pole", "stick", "pillar", "column", "barrel",
    ]) {
        "cylinder"
    } else if has(&["ring", "donut", "tyre", "tire", "hoop"]) {
        "torus"
    } else if has(&["cone", "spike", "roof"]) {
        "cone"
    } else if has(&["jellyfish", "blob", "creature", "fish"]) {
        "sphere mesh emissive opacity"
    } else {
        "box sphere cylinder group"
    }
}

/// Motion words a description may use, by stem (see
/// [`crate::agent::brief_check::stem`]), with the dynamics kinds that
/// show them, the first being the one to add when none is planned. Only
/// words whose verb sense is the usual one are listed ("a pile of books"
/// and "ocean waves" are not motions); a few count only beside a liquid or
/// grain word ([`NEEDS_MATTER`]).
pub const MOTION_WORDS: &[(&str, &[&str])] = &[
    ("flutter", &["flutters", "waves"]),
    ("flap", &["flutters", "waves"]),
    ("billow", &["waves", "flutters"]),
    ("wobbl", &["wobbles", "squashes"]),
    ("jiggl", &["wobbles", "squashes"]),
    ("squash", &["squashes", "wobbles"]),
    ("squish", &["squashes", "wobbles"]),
    ("pour", &["pours", "fills", "spills", "flows"]),
    ("fill", &["fills", "pours"]),
    ("spill", &["spills", "pours", "flows"]),
    ("flow", &["flows", "pours"]),
    ("splash", &["splashes"]),
    ("sway", &["sways", "swings"]),
    ("swing", &["swings", "sways"]),
    ("toppl", &["topples", "falls"]),
    ("bounc", &["bounces"]),
    ("roll", &["rolls"]),
    ("slid", &["slides"]),
    ("spin", &["spins"]),
    ("drift", &["drifts"]),
    ("glow", &["glows"]),
    ("pulsat", &["pulsates"]),
    ("puls", &["pulsates"]),
    ("flicker", &["flickers", "fire"]),
    ("drap", &["drapes"]),
    ("scatter", &["scatters"]),
    // "time-lapse": the day passing.
    ("laps", &["time_of_day"]),
];

/// Motion stems that are motions only where a liquid or grains are named
/// ("a room filled with light" pours nothing).
pub const NEEDS_MATTER: &[&str] = &["fill", "pour", "spill", "splash", "flow"];

/// Words that name a liquid or grains.
pub const MATTER_WORDS: &[&str] = &[
    "water", "wine", "milk", "juice", "coffee", "tea", "honey", "liquid", "oil", "paint", "beer",
    "soup", "syrup", "sand", "grain", "rice", "sugar", "salt", "gravel", "cereal", "lemonade",
    "soda", "fountain", "river", "stream",
];

/// Scenery a prompt can name that the brief must hold as an object of
/// that kind (the templates and the catalog build it: a forest is a
/// forest, not the setting's adjective).
pub const SCENERY_WORDS: &[(&str, &str)] = &[
    ("forest", "forest"),
    ("woods", "forest"),
    ("woodland", "forest"),
    ("grove", "forest"),
    ("jungle", "forest"),
    // Light "through a green canopy" is light through the trees above.
    ("canopy", "forest"),
    ("dune", "dune"),
    ("dunes", "dune"),
    // A thing the prompt stands its subject on ("on the coffee table").
    ("table", "table"),
    ("desk", "desk"),
    ("tree", "tree"),
    ("trees", "tree"),
    ("oak", "tree"),
    ("oaks", "tree"),
];

/// Particles a prompt can name, with the dynamics kind that makes them.
/// `None` in the second place: the word alone says so ("rain"); `Some`:
/// only with one of these motion stems in the prompt too ("leaves dance"
/// are falling leaves; "green leaves" on a tree are not).
pub const PARTICLE_WORDS: &[(&str, &str, Option<&[&str]>)] = &[
    (
        "leav",
        "falling_leaves",
        Some(&[
            "fall", "fell", "danc", "drift", "swirl", "blow", "blown", "tumbl", "flutter",
            "scatter",
        ]),
    ),
    ("rain", "rain", None),
    ("raindrop", "rain", None),
    ("snowflak", "snow", None),
    ("snowfall", "snow", None),
    ("snow", "snow", Some(&["fall", "fell", "drift", "swirl"])),
    ("ember", "embers", None),
    ("spark", "embers", None),
    ("steam", "steam", None),
];

/// Motions a planner invents ("the tree moves in a circular motion"),
/// with the stems that license each: without one of them in the prompt,
/// the dynamics item is not asked for.
pub const LICENSED_MOTIONS: &[(&str, &[&str])] = &[
    ("swings", &["swing", "pendulum", "sway", "cradl", "rock"]),
    (
        "spins",
        &["spin", "rotat", "twirl", "whirl", "turn", "spinn", "top"],
    ),
    (
        "pulsates",
        &["puls", "pulsat", "throb", "beat", "breath", "jellyfish"],
    ),
    (
        "falling_leaves",
        &["leav", "leaf", "autumn", "foliag", "fall"],
    ),
    // "Flickering light on the roots" is no flutter; "chopped" no fall.
    (
        "flutters",
        &[
            "flutter", "flap", "wav", "billow", "rippl", "flag", "banner", "sail", "curtain",
            "cape",
        ],
    ),
    (
        "falls",
        &[
            "fall", "fell", "drop", "tumbl", "plung", "sink", "collaps", "land", "topple", "slip",
        ],
    ),
    (
        "bounces",
        &[
            "bounc",
            "hop",
            "jump",
            "drop",
            "dribbl",
            "ball",
            "trampolin",
        ],
    ),
];
