//! The demo's report: Markdown text with linked figures, written atomically at the end.

use std::path::{Path, PathBuf};

use spinfer::{data::write_atomic, Result};

/// Markdown being assembled, and the figures it links.
pub struct Report {
    dir: PathBuf,
    text: String,
    figures: usize,
}

impl Report {
    pub fn new(dir: &Path) -> Self {
        Report {
            dir: dir.to_path_buf(),
            text: String::new(),
            figures: 0,
        }
    }

    /// Path of a figure file in the report's directory.
    pub fn figure_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Appends text (and echoes it to the terminal).
    pub fn say(&mut self, text: &str) {
        println!("{text}");
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
    pub fn write(&self) -> Result<PathBuf> {
        let path = self.dir.join("report.md");
        write_atomic(&path, |w| w.write_all(self.text.as_bytes()))?;
        Ok(path)
    }
}
