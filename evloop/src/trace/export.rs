//! Writing a snapshot out: the timeline page (`html`) or Chrome trace-event
//! JSON (`chrome`). Above both renderers and the snapshot they read, so
//! the snapshot does not import its exporters.

use std::io;
use std::path::Path;

use crate::trace::snapshot::TraceSnapshot;
use crate::trace::{chrome, html};

impl TraceSnapshot {
    /// The timeline page: one self-contained HTML file.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// Chrome trace-event JSON, for Perfetto (ui.perfetto.dev) or `chrome://tracing`.
    pub fn to_chrome_json(&self) -> String {
        chrome::render(self)
    }

    /// Writes the timeline page if `path` ends in `.html`, Chrome JSON otherwise.
    ///
    /// # Errors
    ///
    /// Whatever writing the file fails with.
    pub fn write(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let is_html = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        let text = if is_html {
            self.to_html()
        } else {
            self.to_chrome_json()
        };
        std::fs::write(path, text)
    }
}
