//! The demo's report: Markdown text with linked figures, written atomically at the end.

use std::path::{Path, PathBuf};

use crate::cli::console::write_out;
use spinfer::{data::write_atomic, Error, Result};

/// Markdown being assembled, and the figures it links.
pub struct Report {
    dir: PathBuf,
    text: String,
    figures: usize,
    /// The first failure to echo on standard output, reported by [`Report::write`].
    echo_failed: Option<Error>,
}

impl Report {
    pub fn new(dir: &Path) -> Self {
        Report {
            dir: dir.to_path_buf(),
            text: String::new(),
            figures: 0,
            echo_failed: None,
        }
    }

    /// Path of a figure file in the report's directory.
    pub fn figure_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Appends text (and echoes it to the terminal).
    pub fn say(&mut self, text: &str) {
        if let Err(e) = write_out(format_args!("{text}")) {
            self.echo_failed.get_or_insert(e);
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// Links a figure already written under `figure_path(name)`.
    pub fn figure(&mut self, name: &str, caption: &str) {
        self.figures += 1;
        self.text.push_str(&format!(
            "\n![{caption}]({name})\n\n*Figure {}: {caption}*\n\n",
            self.figures
        ));
    }

    pub fn figures(&self) -> usize {
        self.figures
    }

    /// Writes DIR/report.md.
    /// A failed echo is reported here, once the report itself is safe.
    pub fn write(&mut self) -> Result<PathBuf> {
        let path = self.dir.join("report.md");
        write_atomic(&path, |w| w.write_all(self.text.as_bytes()))?;
        match self.echo_failed.take() {
            Some(e) => Err(e),
            None => Ok(path),
        }
    }
}
