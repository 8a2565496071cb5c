//! The docs and the parser kept in step: the command reference is generated from the
//! parser's own `--help`, every argument has a help text, and every command the README and
//! `docs/` quote is accepted by the parser.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::Cli;

/// The command reference, `docs/command-reference.md`: the long `--help` of every
/// subcommand, in the order `spinfer --help` lists them.
pub fn reference() -> String {
    let mut command = Cli::command();
    command.build();
    let mut out = String::from(
        "# Command reference\n\n\
         The `--help` of every subcommand, generated from the parser (`SPINFER_BLESS=1 cargo \
         test --release --bin spinfer docs` rewrites this file; the test suite fails when it \
         is out of step). The [command guide](command.md) explains the options in context.\n",
    );
    append(&mut command, "spinfer", &mut out);
    out
}

fn append(command: &mut clap::Command, path: &str, out: &mut String) {
    let help = command.render_long_help().to_string();
    out.push_str(&format!(
        "\n## `{path}`\n\n```text\n{}\n```\n",
        help.trim_end()
    ));
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    for name in names {
        let sub = command
            .find_subcommand_mut(&name)
            .expect("a listed subcommand exists");
        append(sub, &format!("{path} {name}"), out);
    }
}

/// The files whose quoted commands are checked: the README and every page of `docs/` but
/// the generated reference.
pub fn documents(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .filter(|p| !p.ends_with("command-reference.md"))
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    files.extend(pages);
    files
}

/// The `spinfer` commands quoted in Markdown text, as argument lists without the program
/// name: lines of shell or text code blocks and inline code spans that start with
/// `spinfer ` or `cargo run --release [--quiet] -- `, one command per part of a `&&` chain.
/// Elided commands (`…`, `...`) and pipelines are left out: they are not meant to run as
/// written. Blocks in another language (TOML, Rust, Python) hold no commands.
pub fn quoted_commands(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut block: Option<bool> = None; // inside a block: whether it may hold commands
    for line in text.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => Some(matches!(
                    info.trim(),
                    "" | "sh" | "bash" | "console" | "text"
                )),
            };
            continue;
        }
        let spans: Vec<&str> = match block {
            Some(true) => vec![line.split(" #").next().unwrap_or("")],
            Some(false) => Vec::new(),
            None => line.split('`').skip(1).step_by(2).collect(),
        };
        for span in spans {
            found.extend(span.split("&&").filter_map(|part| command_of(part.trim())));
        }
    }
    found
}

fn command_of(code: &str) -> Option<Vec<String>> {
    let rest = [
        "cargo run --release --quiet -- ",
        "cargo run --release -- ",
        "spinfer ",
    ]
    .iter()
    .find_map(|prefix| code.strip_prefix(prefix))?;
    if ["…", "...", "|", "<", "ARGUMENTS"]
        .iter()
        .any(|elided| rest.contains(elided))
    {
        return None;
    }
    Some(
        rest.split_whitespace()
            .map(|w| w.trim_matches('"').to_string())
            .collect(),
    )
}

/// Whether `args` only name a subcommand (`fit kinetic`), as prose does when it talks about a
/// command rather than running it; such a name must exist.
pub fn names_a_subcommand(args: &[String]) -> bool {
    let mut command = Cli::command();
    for word in args {
        match command.find_subcommand(word) {
            Some(sub) => command = sub.clone(),
            None => return false,
        }
    }
    !args.is_empty()
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
pub fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The relative links of a Markdown text outside its code blocks, as (path, anchor) with an
/// empty path for a link within the page.
pub fn relative_links(text: &str) -> Vec<(String, Option<String>)> {
    let mut links = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        for part in line.split("](").skip(1) {
            let Some(target) = part.split(')').next() else {
                continue;
            };
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f.to_string())),
                None => (target, None),
            };
            links.push((path.to_string(), fragment));
        }
    }
    links
}

/// The anchors of a Markdown text's headings (outside code blocks).
pub fn anchors(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if !in_block && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_command_reference_is_the_parsers_help() {
        let path = root().join("docs/command-reference.md");
        let generated = reference();
        if std::env::var_os("SPINFER_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == generated,
            "docs/command-reference.md is out of step with --help: run \
             SPINFER_BLESS=1 cargo test --release --bin spinfer docs"
        );
    }

    #[test]
    fn every_argument_and_subcommand_has_a_help_text() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {}", sub.get_name()));
                }
                check(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut command = Cli::command();
        command.build();
        let mut missing = Vec::new();
        check(&command, "spinfer", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:#?}");
    }

    #[test]
    fn every_command_quoted_in_the_docs_is_accepted_by_the_parser() {
        let mut checked = 0;
        let mut refused = Vec::new();
        for file in documents(&root()) {
            let text = std::fs::read_to_string(&file).unwrap();
            for args in quoted_commands(&text) {
                checked += 1;
                let line = args.join(" ");
                if names_a_subcommand(&args) {
                    continue;
                }
                let argv = std::iter::once("spinfer".to_string()).chain(args);
                if let Err(e) = Cli::try_parse_from(argv) {
                    if !matches!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayHelp
                            | clap::error::ErrorKind::DisplayVersion
                    ) {
                        let why = e.to_string();
                        let why = why.lines().next().unwrap_or_default().to_string();
                        refused.push(format!("{}: spinfer {line}: {why}", file.display()));
                    }
                }
            }
        }
        assert!(refused.is_empty(), "refused by the parser: {refused:#?}");
        assert!(checked >= 30, "only {checked} quoted commands were found");
    }

    /// The long help of `--flag` in `spinfer <path>`.
    fn help_of(path: &[&str], flag: &str) -> String {
        let mut command = Cli::command();
        command.build();
        for name in path {
            command = command.find_subcommand(name).expect("a subcommand").clone();
        }
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some(flag))
            .unwrap_or_else(|| panic!("no --{flag}"));
        arg.get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn the_defaults_the_help_names_are_the_librarys() {
        use spinfer::fit::{IsingFitSettings, KineticFitSettings};
        let ising = IsingFitSettings::default();
        let kinetic = KineticFitSettings::default();
        let fit = ["fit", "ising"];
        let named = [
            (fit, "samples", format!("[default: {}]", ising.mcmc.samples)),
            (
                fit,
                "max-samples",
                format!("[default: {}]", ising.growth.unwrap().max_samples),
            ),
            (fit, "sweeps", format!("[default: {}]", ising.mcmc.sweeps)),
            (fit, "chains", format!("[default: {}]", ising.mcmc.chains)),
            (fit, "burn-in", format!("[default: {}]", ising.mcmc.burn_in)),
            (
                fit,
                "target-ratio",
                format!("[default: {}]", ising.faithful.unwrap().target),
            ),
            (
                fit,
                "iters",
                format!("[default: {}]", ising.learn.max_iters),
            ),
            (
                fit,
                "lr",
                format!("{} (ising), {} (kinetic)", ising.lr, kinetic.lr),
            ),
            (
                fit,
                "tol",
                format!(
                    "{:e} (ising), {:e} (kinetic)",
                    ising.learn.grad_tol, kinetic.learn.grad_tol
                ),
            ),
        ];
        assert_eq!(ising.learn.max_iters, kinetic.learn.max_iters);
        for (path, flag, expected) in named {
            let help = help_of(&path, flag);
            assert!(
                help.contains(&expected),
                "--{flag}: {help:?} lacks {expected:?}"
            );
        }
    }

    #[test]
    fn every_link_of_the_docs_reaches_a_file_and_heading() {
        let mut pages = documents(&root());
        pages.push(root().join("CHANGELOG.md"));
        pages.push(root().join("docs/command-reference.md"));
        let mut broken = Vec::new();
        for page in &pages {
            let text = std::fs::read_to_string(page).unwrap();
            for (path, fragment) in relative_links(&text) {
                let target = if path.is_empty() {
                    page.clone()
                } else {
                    page.parent().unwrap().join(&path)
                };
                let Ok(target_text) = std::fs::read_to_string(&target) else {
                    broken.push(format!("{}: {path} does not exist", page.display()));
                    continue;
                };
                if let Some(fragment) = fragment {
                    if !anchors(&target_text).contains(&fragment) {
                        broken.push(format!(
                            "{}: {path}#{fragment}: no such heading",
                            page.display()
                        ));
                    }
                }
            }
        }
        assert!(broken.is_empty(), "broken links: {broken:#?}");
    }

    #[test]
    fn every_page_of_the_guide_is_linked_from_the_readme() {
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        let linked: Vec<String> = relative_links(&readme)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let mut pages = documents(&root());
        pages.retain(|p| !p.ends_with("README.md"));
        pages.push(root().join("docs/command-reference.md"));
        for page in pages {
            let name = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
            assert!(linked.contains(&name), "README.md does not link {name}");
        }
        assert_eq!(
            anchor("Starts, penalties, log Z & checks"),
            "starts-penalties-log-z--checks"
        );
    }

    #[test]
    fn quoted_commands_are_found_in_blocks_and_spans_but_not_when_elided() {
        let text = "Run `spinfer demo --quick` or `spinfer fit …`.\n\
                    ```sh\nspinfer fit ising d.txt --out m.json   # a comment\n\
                    cargo run --release -- demo\nspinfer compare m.json d.txt | head\n```\n\
                    ```toml\nspinfer = { path = \".\" }\n```\n\
                    `spinfer generate bursts --out b.txt && spinfer thermo m.json --out t`\n";
        let found = quoted_commands(text);
        assert_eq!(
            found,
            vec![
                vec!["demo", "--quick"],
                vec!["fit", "ising", "d.txt", "--out", "m.json"],
                vec!["demo"],
                vec!["generate", "bursts", "--out", "b.txt"],
                vec!["thermo", "m.json", "--out", "t"],
            ]
        );
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(names_a_subcommand(&words("fit kinetic")));
        assert!(!names_a_subcommand(&words("fit kinetics")));
        assert!(!names_a_subcommand(&words("thermo m.json")));
    }
}
