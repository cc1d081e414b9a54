//! `c2w repl`: a live world to explore a line at a time.

use std::path::PathBuf;

use clap::Args;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::{LimitArgs, read_script, report_error};
use crate::output::snapshot_file_name;
use crate::pipeline::{HookClock, advance_frame, prepare};
use crate::render::{RenderOptions, Renderer};
use crate::script::{Session, reference};
use crate::sim::Simulation;
use crate::util::fsx::write_atomic;
use crate::video::write_png;
use crate::world::World;

#[derive(Args)]
pub struct ReplArgs {
    /// A script to load first.
    script: Option<PathBuf>,
    /// Seed for all randomness.
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    render: super::RenderArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

const HELP: &str = "\
Type Rhai statements to build the world, e.g.  let b = sphere(0.3, #{ position: [0, 2, 0], body: \"dynamic\" });
Commands:
  :step [N]       simulate N frames (default 1)
  :run            simulate to the world's duration
  :inspect NAME   show an entity or emitter
  :list           list entities, lights, emitters, fields and variables
  :reset          start over with an empty world
  :save FILE      save the lines entered so far as a script
  :snap [FILE]    render the world as it is now to a PNG (default snap_<t>s.png)
  :help [TOPIC]   this help, or a topic (shapes, physics, particles, ...) or function
  :quit           leave (also Ctrl-D)";

pub struct Repl {
    session: Session,
    sim: Option<(Simulation, HookClock)>,
    frame: u64,
    lines: Vec<String>,
    render_opts: RenderOptions,
    /// Opened on the first `:snap`, kept for the next ones.
    renderer: Option<Renderer>,
}

impl Repl {
    pub fn new(session: Session) -> Repl {
        Repl {
            session,
            sim: None,
            frame: 0,
            lines: Vec::new(),
            render_opts: RenderOptions::default(),
            renderer: None,
        }
    }

    /// Renders `:snap` images with these options.
    pub fn with_render_options(mut self, opts: RenderOptions) -> Repl {
        self.render_opts = opts;
        self
    }

    fn snap(&mut self, path: Option<&str>) -> Result<String, String> {
        self.ensure_sim();
        if self.renderer.is_none() {
            let r = Renderer::new(&self.render_opts)
                .map_err(|e| format!("{e}\n  ({})", super::adapter_help()))?;
            self.renderer = Some(r);
        }
        let (Some((sim, _)), Some(renderer)) = (self.sim.as_ref(), self.renderer.as_mut()) else {
            return Err("no simulation".into());
        };
        let index = self.frame;
        let image = self
            .session
            .with_world(|w| renderer.render(w, &sim.frame(w, index)))
            .map_err(|e| e.to_string())?;
        let t = sim.time();
        let path = path.map_or_else(|| snapshot_file_name(t), str::to_string);
        write_png(std::path::Path::new(&path), &image)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        Ok(format!(
            "t = {t:.3} s: wrote {path} ({}x{})",
            image.width, image.height
        ))
    }

    /// Handles one input line and returns what to print.
    pub fn handle(&mut self, line: &str) -> Result<String, String> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(String::new());
        }
        if let Some(cmd) = line.strip_prefix(':') {
            return self.command(cmd);
        }
        match self.session.eval(line) {
            Ok(v) => {
                self.lines.push(line.to_string());
                Ok(if v.is_unit() {
                    String::new()
                } else {
                    self.session.display(&v)
                })
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn ensure_sim(&mut self) {
        if self.sim.is_none() {
            let sim = self.session.with_world_mut(|w| {
                prepare::finish_scene(w);
                Simulation::new(w)
            });
            self.session.set_live();
            self.sim = Some((sim, HookClock::default()));
        }
    }

    fn step(&mut self, frames: u64) -> Result<String, String> {
        self.ensure_sim();
        let Some((sim, clock)) = self.sim.as_mut() else {
            return Err("no simulation".into());
        };
        for _ in 0..frames {
            advance_frame(sim, clock, &mut self.session).map_err(|e| e.to_string())?;
            self.frame += 1;
        }
        let t = sim.time();
        let hash = self
            .session
            .with_world(|w| sim.state_hash(w, &w.world_transforms()));
        Ok(format!(
            "t = {t:.3} s (frame {}), state {hash:016x}",
            self.frame
        ))
    }

    fn command(&mut self, cmd: &str) -> Result<String, String> {
        let mut parts = cmd.split_whitespace();
        let name = parts.next().unwrap_or("");
        let arg = parts.next();
        match name {
            "step" | "s" => {
                let n = arg
                    .map(|a| a.parse::<u64>().map_err(|_| format!("not a number: {a}")))
                    .transpose()?
                    .unwrap_or(1);
                self.step(n.min(100_000))
            }
            "run" | "r" => {
                let total = self.session.with_world(|w| w.settings.frame_count());
                let left = total.saturating_sub(self.frame + 1);
                self.step(left)
            }
            "inspect" | "i" => {
                let n = arg.ok_or("usage: :inspect NAME")?;
                self.session
                    .with_world(|w| inspect(w, n))
                    .ok_or_else(|| format!("nothing named '{n}'"))
            }
            "list" | "l" => {
                let mut s: String = self.session.with_world(list);
                s.push_str(&format!(
                    "variables: {}",
                    self.session.variables().join(", ")
                ));
                Ok(s)
            }
            "reset" => {
                self.session.reset();
                self.sim = None;
                self.frame = 0;
                self.lines.clear();
                Ok("world cleared".into())
            }
            "save" => {
                let path = arg.ok_or("usage: :save FILE")?;
                let mut text = self.lines.join("\n");
                text.push('\n');
                write_atomic(std::path::Path::new(path), text.as_bytes())
                    .map_err(|e| format!("cannot write {path}: {e}"))?;
                Ok(format!("saved {} lines to {path}", self.lines.len()))
            }
            "snap" => self.snap(arg),
            "help" | "h" | "?" => match arg {
                None => Ok(HELP.into()),
                Some(t) => reference::help(self.session.registry(), t)
                    .ok_or_else(|| format!("no topic or function '{t}'")),
            },
            other => Err(format!("unknown command :{other} (try :help)")),
        }
    }
}

fn inspect(w: &World, name: &str) -> Option<String> {
    if let Some(id) = w.find(name) {
        let e = w.entity(id);
        let t = w.world_transform(id);
        let rot = crate::world::entity::euler_deg_from_quat(t.rotation);
        return Some(format!(
            "{} ({}), body {:?}\n  position {:.3}\n  rotation {:.1} deg\n  scale {:.3}\n  velocity {:.3} m/s, spin {:.1} deg/s\n  material {} roughness {:.2} metallic {:.2} opacity {:.2}{}",
            e.label(),
            e.shape.kind_name(),
            w.body_kind(id),
            t.position,
            rot,
            t.scale,
            e.linear_velocity,
            e.angular_velocity,
            e.material.preset.unwrap_or("custom"),
            e.material.roughness,
            e.material.metallic,
            e.material.opacity,
            if e.tags.is_empty() {
                String::new()
            } else {
                format!("\n  tags {}", e.tags.join(", "))
            }
        ));
    }
    if let Some(id) = w.find_emitter(name) {
        let e = &w.emitters[id.0 as usize];
        return Some(format!(
            "emitter {name}: {:?} style, rate {}/s, lifetime {:?} s, max {}",
            e.style, e.rate, e.lifetime, e.max
        ));
    }
    None
}

fn list(w: &World) -> String {
    let mut s = format!("t = {:.3} s, {} entities\n", w.time, w.entities.len());
    for e in w.entities.iter().take(200) {
        s.push_str(&format!("  {} {:?}\n", e.label(), w.body_kind(e.id)));
    }
    if w.entities.len() > 200 {
        s.push_str(&format!("  ... and {} more\n", w.entities.len() - 200));
    }
    s.push_str(&format!(
        "lights: {}, emitters: {}, fields: {}, joints: {}\n",
        w.lights.len(),
        w.emitters.len(),
        w.fields.len(),
        w.joints.len()
    ));
    s
}

pub fn repl(a: ReplArgs) -> i32 {
    let render_opts = match a.render.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let mut repl =
        Repl::new(Session::new(a.limits.limits(), a.seed)).with_render_options(render_opts);
    if let Some(path) = &a.script {
        let source = match read_script(path) {
            Ok(s) => s,
            Err(e) => {
                report_error(&e, false);
                return e.kind.exit_code();
            }
        };
        if let Err(e) = repl.session.eval(&source) {
            report_error(&e, false);
        } else {
            repl.lines.push(source);
            println!("loaded {}", path.display());
        }
    }
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 1;
        }
    };
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".c2w_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("code2worlds REPL. :help for commands, Ctrl-D to leave.");
    loop {
        match editor.readline("c2w> ") {
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if matches!(line.trim(), ":quit" | ":q" | ":exit") {
                    break;
                }
                match repl.handle(&line) {
                    Ok(out) if !out.is_empty() => println!("{out}"),
                    Ok(_) => {}
                    Err(e) => eprintln!("{e}"),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    0
}
