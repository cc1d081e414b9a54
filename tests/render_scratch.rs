use code2worlds::pipeline::{build, RunOptions};
use code2worlds::render::*;
use code2worlds::sim::Simulation;

#[test]
#[ignore]
fn scratch() {
    let w: u32 = std::env::var("W").ok().and_then(|v| v.parse().ok()).unwrap_or(640);
    let h: u32 = std::env::var("H").ok().and_then(|v| v.parse().ok()).unwrap_or(360);
    let steps: u64 = std::env::var("STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let opts = RenderOptions::new(w, h).with_adapter(AdapterChoice::Cpu);
    let mut r = Renderer::new(&opts).unwrap();
    let mut all = Vec::new();
    for path in std::env::var("SCENE").unwrap().split(',') {
        let src = std::fs::read_to_string(path).unwrap();
        let built = build(&src, &RunOptions::default()).map_err(|(e, _)| e).unwrap();
        let img = built.session.with_world_mut(|w| {
            let mut sim = Simulation::new(w);
            for _ in 0..steps { sim.step(w); }
            let f = sim.frame(w, 0);
            let t = std::time::Instant::now();
            let img = r.render(w, &f).unwrap();
            eprintln!("{path}: render {:?} particles {}", t.elapsed(), f.particles.positions.len());
            img
        });
        let out = path.replace(".rhai", ".png");
        img.save_png(std::path::Path::new(&out)).unwrap();
        all.push(img);
    }
    // Montage, 2 columns.
    let cols = 2u32;
    let rows = (all.len() as u32).div_ceil(cols);
    let mut m = Image { width: w * cols, height: h * rows, rgba: vec![0; (w * cols * h * rows * 4) as usize] };
    for (k, img) in all.iter().enumerate() {
        let (cx, cy) = ((k as u32 % cols) * w, (k as u32 / cols) * h);
        for y in 0..h { for x in 0..w {
            let src = ((y * w + x) * 4) as usize;
            let dst = (((cy + y) * m.width + cx + x) * 4) as usize;
            m.rgba[dst..dst + 4].copy_from_slice(&img.rgba[src..src + 4]);
        }}
    }
    m.save_png(std::path::Path::new("/tmp/montage.png")).unwrap();
}
