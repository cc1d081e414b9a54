//! Stage three: frames become measurements. Recorders read each frame as it
//! streams past: the trace, the expectations, and the counts for the report.

pub mod expect;
pub mod report;
pub mod trace;

pub use expect::{ExpectationResult, ExpectationTracker};
pub use report::{Counts, RenderStats, Report, Timings};
pub use trace::Trace;
