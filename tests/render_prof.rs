use code2worlds::pipeline::{build, RunOptions};
use code2worlds::render::*;
use code2worlds::sim::Simulation;

const SCENE: &str = include_str!("/tmp/scenes/bench.rhai");

#[test]
#[ignore]
fn prof() {
    let q: Quality = std::env::var("Q").unwrap_or("default".into()).parse().unwrap();
    let opts = RenderOptions::new(640, 360).with_quality(q).with_adapter(AdapterChoice::Cpu);
    let mut r = Renderer::new(&opts).unwrap();
    let built = build(SCENE, &RunOptions::default()).map_err(|(e, _)| e).unwrap();
    built.session.with_world_mut(|w| {
        let mut sim = Simulation::new(w);
        for _ in 0..20 { sim.step(w); }
        let f = sim.frame(w, 0);
        let mut variants = vec![("full", f.clone())];
        let mut np = f.clone(); np.particles = Default::default(); variants.push(("no particles", np.clone()));
        let mut ns = np.clone(); for l in &mut ns.lights { l.shadows = false; } variants.push(("no particles no shadows", ns.clone()));
        let mut ne = ns.clone(); for v in &mut ne.visible { *v = false; } variants.push(("nothing (sky only)", ne));
        for (name, f) in &variants {
            r.render(w, f).unwrap();
            let t = std::time::Instant::now();
            for _ in 0..5 { r.render(w, f).unwrap(); }
            eprintln!("{name}: {:.1} ms", t.elapsed().as_secs_f64() * 200.0);
        }
    });
}
