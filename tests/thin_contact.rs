//! A dynamic cylinder standing on a thin fixed body rests on it instead of
//! sinking through (a can on a coaster).

use code2worlds::pipeline::{self, RunOptions};
use code2worlds::sim::{Frame, FrameSink, SinkError};
use code2worlds::world::World;

#[derive(Default)]
struct Last(Option<(World, Frame)>);

impl FrameSink for Last {
    fn accept(&mut self, world: &World, frame: &Frame) -> Result<(), SinkError> {
        self.0 = Some((world.clone(), frame.clone()));
        Ok(())
    }
}

/// Where the can's bottom ends up after three seconds, and the coaster's top.
fn rest(coaster: &str) -> (f32, f32) {
    let src = format!(
        r#"world(#{{ duration: 3 }});
plane(10, #{{ name: "floor" }});
{coaster}
cylinder(0.033, 0.12, #{{ name: "can", position: [0, 0.09, 0], body: "dynamic", mass: 0.35, material: "metal" }});"#
    );
    let mut last = Last::default();
    let mut sinks: Vec<&mut dyn FrameSink> = vec![&mut last];
    let r = pipeline::run(&src, &RunOptions::default(), &mut sinks);
    drop(sinks);
    assert!(r.report.error.is_none(), "{:?}", r.report.error);
    let (world, frame) = last.0.unwrap();
    let can = world.find("can").unwrap();
    let coaster = world.find("coaster").unwrap();
    let bottom = frame.aabbs[can.index()].unwrap().0.y;
    let top = frame.aabbs[coaster.index()].unwrap().1.y;
    (bottom, top)
}

#[test]
fn a_can_rests_on_a_thin_coaster() {
    for coaster in [
        r#"box([0.1, 0.03, 0.1], #{ name: "coaster", position: [0, 0.015, 0], body: "fixed" });"#,
        r#"cylinder(0.05, 0.03, #{ name: "coaster", position: [0, 0.015, 0], body: "fixed" });"#,
        r#"cylinder(0.05, 0.02, #{ name: "coaster", position: [0, 0.02, 0], body: "fixed" });"#,
    ] {
        let (bottom, top) = rest(coaster);
        assert!(
            bottom > top - 0.005,
            "{coaster}: the can's bottom {bottom:.3} m sank below the coaster's top {top:.3} m"
        );
    }
}
