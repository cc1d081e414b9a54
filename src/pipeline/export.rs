//! A run with only the exporter attached: `c2w export` and MCP's
//! `export_world`.

use super::RunOptions;
use crate::export::{ExportOptions, Exporter, document::Document};
use crate::measure::Report;

/// Runs `source` into an animated scene. The document is `None` when the
/// world never ran a frame.
pub fn export_script(
    source: &str,
    run: &RunOptions,
    opts: ExportOptions,
) -> (Option<Document>, Report) {
    let mut exporter = Exporter::new(opts);
    let result = super::run(source, run, &mut [&mut exporter]);
    (exporter.take_document(), result.report)
}
