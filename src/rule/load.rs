//! Loading rules: the files embedded from `rules/` plus any user directories, validated into
//! [`Rule`]s and indexed into a [`RuleSet`]. Every problem is a [`DataFileError`] that points at
//! the offending line of the offending file, so a malformed rule stops the run with exit 2.

use super::raw::{RawMatch, RawPort, RawPortPatch, RawRule, RawRuleFile, RawSymbol};
use super::{Examples, GlobEntry, GlobIndex, MatcherSummary, Rule, RuleSet, Symbol};
use crate::error::{DataFileError, Error, Result};
use crate::lang::Lang;
use crate::lang::lexer::is_identifier;
use crate::portability::{Port, Portability};
use globset::{GlobBuilder, GlobSetBuilder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// A digest of [`builtin_files`] (names and texts), computed by the build.
pub fn builtin_digest() -> &'static [u8; 32] {
    &builtin::BUILTIN_DIGEST
}

/// The rule files compiled into the binary: `(path under rules/, contents)`, sorted by path.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_RULES
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet> {
        RuleSet::load(&[])
    }

    /// The built-in rules plus every `*.toml` file under each of `user_dirs` (recursively, in path
    /// order). A user file may match a name a built-in rule matches: the user's rule wins.
    pub fn load(user_dirs: &[PathBuf]) -> Result<RuleSet> {
        RuleSet::with_user_sources(read_user_sources(user_dirs)?)
    }

    /// The built-in rules plus user rule files already read ([`read_user_sources`]).
    pub fn with_user_sources(user_sources: Vec<(String, String)>) -> Result<RuleSet> {
        let mut builder = Builder::default();
        // Parsed at build time (super::compiled); a file the build could not encode is parsed here.
        let mut compiled = super::compiled::files();
        for (path, text) in builtin_files() {
            let name = format!("rules/{path}");
            match compiled.next().flatten() {
                Some(file) => builder.add_parsed(&name, text, file, Origin::Builtin)?,
                None => builder.add_file(&name, text, Origin::Builtin)?,
            }
        }
        for (name, text) in user_sources {
            builder.add_file(&name, &text, Origin::User)?;
            builder.set.user_sources.push((name, text));
        }
        builder.finish()
    }

    /// The rules of one rule file's text alone, without the built-in rules; `name` is what
    /// errors call the file. For the fuzz targets and tests.
    pub fn from_text(name: &str, text: &str) -> Result<RuleSet> {
        let mut builder = Builder::default();
        builder.add_file(name, text, Origin::User)?;
        builder.finish()
    }
}

/// Every user rule file under `user_dirs` as `(name, text)`, in load order.
pub fn read_user_sources(user_dirs: &[PathBuf]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for dir in user_dirs {
        for path in user_rule_files(dir)? {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::io(format!("cannot read rule file {}", path.display()), e))?;
            out.push((path.display().to_string(), text));
        }
    }
    Ok(out)
}

fn user_rule_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    if !dir.is_dir() {
        return Err(Error::MissingPath(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| Error::io(format!("cannot read rules directory {}", d.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("cannot read {}", d.display()), e))?;
            let path = entry.path();
            let ty = entry
                .file_type()
                .map_err(|e| Error::io(format!("cannot stat {}", path.display()), e))?;
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() && path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Builtin,
    User,
}

/// Accumulates validated rules and their matchers; [`Builder::finish`] compiles the globs.
struct Builder {
    set: RuleSet,
    /// Parallel to `set.symbols`: where each symbol came from, so a user rule may override a built-in one.
    symbol_origins: Vec<Origin>,
    /// Parallel to rule indices (including the rule being built): ids and languages.
    rule_ids: Vec<String>,
    rule_languages: Vec<Vec<Lang>>,
    ids: crate::hash::FastMap<String, String>,
    pattern_builder: GlobSetBuilder,
    include_builder: GlobSetBuilder,
    pattern_entries: Vec<GlobEntry>,
    include_entries: Vec<GlobEntry>,
    rocm_macro_builder: GlobSetBuilder,
    /// `[[knowledge]]` tables waiting for every rule to be loaded: (file name, text, origin, entries).
    knowledge: Vec<(String, String, Origin, Vec<super::raw::RawKnowledge>)>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            set: RuleSet::default(),
            symbol_origins: Vec::new(),
            rule_ids: Vec::new(),
            rule_languages: Vec::new(),
            ids: Default::default(),
            pattern_builder: GlobSetBuilder::new(),
            include_builder: GlobSetBuilder::new(),
            pattern_entries: Vec::new(),
            include_entries: Vec::new(),
            rocm_macro_builder: GlobSetBuilder::new(),
            knowledge: Vec::new(),
        }
    }
}

/// The context needed to point an error at a file.
struct FileCtx<'a> {
    name: &'a str,
    text: &'a str,
}

impl FileCtx<'_> {
    fn error(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        label: &str,
    ) -> Error {
        DataFileError::new(self.name, self.text, span, message, label).into()
    }
}

impl Builder {
    fn add_file(&mut self, name: &str, text: &str, origin: Origin) -> Result<()> {
        let file: RawRuleFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Error::from(
                DataFileError::new(
                    name,
                    text,
                    span,
                    format!("invalid rule file {name}"),
                    e.message().trim(),
                )
                .with_help("see README.md, section \"Rule format\", for the fields a rule takes"),
            )
        })?;
        self.add_parsed(name, text, file, origin)
    }

    /// Adds a rule file already parsed from `text`.
    fn add_parsed(
        &mut self,
        name: &str,
        text: &str,
        file: RawRuleFile,
        origin: Origin,
    ) -> Result<()> {
        let ctx = FileCtx { name, text };
        let has_knowledge = !file.knowledge.is_empty();
        if has_knowledge {
            self.knowledge
                .push((name.to_string(), text.to_string(), origin, file.knowledge));
        }
        if let Some(ports) = &file.existing_ports {
            for glob in &ports.rocm_macros {
                let compiled = GlobBuilder::new(glob.get_ref()).build().map_err(|e| {
                    ctx.error(
                        glob.span(),
                        format!("invalid glob `{}`", glob.get_ref()),
                        &e.kind().to_string(),
                    )
                })?;
                self.rocm_macro_builder.add(compiled);
            }
            self.set
                .ports
                .hip_prefixes
                .extend(ports.hip_prefixes.iter().cloned());
            self.set
                .ports
                .cuda_arch_macros
                .extend(ports.cuda_arch_macros.iter().cloned());
            self.set
                .ports
                .device_paths
                .extend(ports.python.iter().map(|p| super::DevicePath {
                    prefix: p.prefix.clone(),
                    targets: p.targets.clone(),
                    what: p.what.clone(),
                    libraries: p.libraries.clone(),
                }));
            self.set.ports.build_translations.extend(
                ports
                    .build
                    .iter()
                    .map(|b| (b.prefix.clone(), b.what.clone())),
            );
        }
        if file.rule.is_empty() && file.existing_ports.is_none() && !has_knowledge {
            return Err(ctx.error(
                0..0,
                format!("rule file {name} defines no rules"),
                "expected at least one [[rule]]",
            ));
        }
        for raw in file.rule {
            self.add_rule(&ctx, raw, origin)?;
        }
        Ok(())
    }

    fn add_rule(&mut self, ctx: &FileCtx, raw: RawRule, origin: Origin) -> Result<()> {
        self.check_id(ctx, &raw)?;
        let id = raw.id.get_ref().clone();
        self.ids.insert(id.clone(), ctx.name.to_string());

        let idx = self.set.rules.len();
        let m = &raw.matcher;
        let languages = if raw.languages.is_empty() {
            Lang::C_FAMILY.to_vec()
        } else {
            raw.languages.clone()
        };
        let portability = Portability([
            port(raw.portability.rocm),
            port(raw.portability.neuron),
            port(raw.portability.tpu),
        ]);

        self.rule_ids.push(id.clone());
        self.rule_languages.push(languages.clone());
        for name in &m.names {
            self.add_name(ctx, name, idx, &languages, origin, None)?;
        }
        self.add_symbols(ctx, &raw.symbols, idx, &languages, &portability, origin)?;
        self.add_globs(ctx, m, idx)?;
        self.add_namespaces(ctx, m, idx)?;
        if m.launch {
            self.set.launch.push(idx);
        }
        if m.inline_asm {
            self.set.inline_asm.push(idx);
        }

        let matchers = matcher_summary(m, raw.symbols.len());
        check_matches_something(ctx, &raw.id, m, &matchers)?;
        self.set.rules.push(Rule {
            id,
            title: raw.title,
            category: raw.category,
            library: raw.library,
            languages,
            help: raw.help.trim_end().to_string(),
            message: raw.message,
            level: raw.level,
            priority: raw.priority,
            weak: raw.weak,
            portability: Arc::new(portability),
            matchers,
            examples: Examples {
                should_match: raw.examples.should_match,
                should_not_match: raw.examples.should_not_match,
                language: raw.examples.language,
            },
            origin: ctx.name.to_string(),
            receiver: raw.receiver.map(|r| crate::rule::Receiver {
                frameworks: r.frameworks,
                otherwise: r.otherwise.into_inner(),
            }),
        });
        Ok(())
    }

    /// A rule's id is kebab-case and new; its title and help are not empty.
    fn check_id(&self, ctx: &FileCtx, raw: &RawRule) -> Result<()> {
        let id = raw.id.get_ref();
        let id_span = raw.id.span();
        if !is_kebab_case(id) {
            return Err(ctx.error(
                id_span,
                format!("rule id `{id}` is not kebab-case"),
                "use lowercase words joined by `-`",
            ));
        }
        if let Some(previous) = self.ids.get(id) {
            return Err(ctx.error(
                id_span,
                format!("rule id `{id}` is already defined in {previous}"),
                "duplicate id",
            ));
        }
        if raw.title.trim().is_empty() || raw.help.trim().is_empty() {
            return Err(ctx.error(
                id_span,
                format!("rule `{id}` needs a non-empty title and help"),
                "in this rule",
            ));
        }
        Ok(())
    }

    /// The rule's `symbols`: names, each with its portability patched over the rule's.
    fn add_symbols(
        &mut self,
        ctx: &FileCtx,
        symbols: &BTreeMap<Spanned<String>, RawSymbol>,
        idx: usize,
        languages: &[Lang],
        portability: &Portability,
        origin: Origin,
    ) -> Result<()> {
        for (name, sym) in symbols {
            let patched = Portability([
                patch(&portability.0[0], sym.rocm.as_ref()),
                patch(&portability.0[1], sym.neuron.as_ref()),
                patch(&portability.0[2], sym.tpu.as_ref()),
            ]);
            let symbol = Symbol {
                name: name.get_ref().clone(),
                rule: idx,
                portability: (patched != *portability).then(|| Arc::new(patched)),
                kind: sym.kind.clone(),
                section: sym.section.clone(),
                deprecated: sym.deprecated.clone(),
                removed: sym.removed.clone(),
                weak: sym.weak,
            };
            self.add_name(ctx, name, idx, languages, origin, Some(symbol))?;
        }
        Ok(())
    }

    /// The rule's name patterns and include globs.
    fn add_globs(&mut self, ctx: &FileCtx, m: &RawMatch, idx: usize) -> Result<()> {
        for pattern in &m.patterns {
            let entry = glob_entry(ctx, pattern, idx)?;
            self.pattern_builder.add(entry.0);
            self.pattern_entries.push(entry.1);
        }
        for include in &m.includes {
            let entry = glob_entry(ctx, include, idx)?;
            self.include_builder.add(entry.0);
            self.include_entries.push(entry.1);
        }
        Ok(())
    }

    /// The rule's namespaces: `::`-separated identifiers, each matched by one rule only.
    fn add_namespaces(&mut self, ctx: &FileCtx, m: &RawMatch, idx: usize) -> Result<()> {
        for ns in &m.namespaces {
            let path = ns.get_ref();
            if path.split("::").any(|seg| !is_identifier(seg)) {
                return Err(ctx.error(
                    ns.span(),
                    format!("namespace `{path}` is not a `::`-separated path of identifiers"),
                    "here",
                ));
            }
            if let Some(&other) = self.set.namespaces.get(path) {
                let other = &self.set.rules[other].id;
                return Err(ctx.error(
                    ns.span(),
                    format!("namespace `{path}` is already matched by rule `{other}`"),
                    "duplicate namespace",
                ));
            }
            self.set.namespaces.insert(path.clone(), idx);
        }
        Ok(())
    }

    fn add_name(
        &mut self,
        ctx: &FileCtx,
        name: &Spanned<String>,
        rule: usize,
        languages: &[Lang],
        origin: Origin,
        symbol: Option<Symbol>,
    ) -> Result<()> {
        let text = name.get_ref();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(ctx.error(
                name.span(),
                format!("`{text}` is not a name"),
                "names are single tokens",
            ));
        }
        let symbol = symbol.unwrap_or_else(|| Symbol {
            name: text.clone(),
            rule,
            portability: None,
            kind: None,
            section: None,
            deprecated: None,
            removed: None,
            weak: false,
        });
        // A name may belong to several rules only if their languages do not overlap.
        let clash = self.set.names.get(text).and_then(|slots| {
            slots.iter().copied().find(|&slot| {
                let other = &self.set.symbols[slot];
                let other_langs = &self.rule_languages[other.rule];
                other_langs.iter().any(|l| languages.contains(l))
            })
        });
        match clash {
            None => {
                self.set
                    .names
                    .entry(text.clone())
                    .or_default()
                    .push(self.set.symbols.len());
                self.set.symbols.push(symbol);
                self.symbol_origins.push(origin);
                Ok(())
            }
            // The same rule lists a name in `match.names` and in `symbols`: the symbol entry wins;
            // a user rule may take over a built-in name.
            Some(slot)
                if self.set.symbols[slot].rule == rule
                    || (origin == Origin::User && self.symbol_origins[slot] == Origin::Builtin) =>
            {
                self.set.symbols[slot] = symbol;
                self.symbol_origins[slot] = origin;
                Ok(())
            }
            Some(slot) => {
                let prev_rule = &self.rule_ids[self.set.symbols[slot].rule];
                Err(ctx.error(
                    name.span(),
                    format!("`{text}` is already matched by rule `{prev_rule}`"),
                    "duplicate name",
                ))
            }
        }
    }

    /// Applies the `[[knowledge]]` tables of every file, once all rules are known.
    fn apply_knowledge(&mut self) -> Result<()> {
        for (name, text, origin, entries) in std::mem::take(&mut self.knowledge) {
            let ctx = FileCtx {
                name: &name,
                text: &text,
            };
            for k in entries {
                let Some(rule) = self.set.by_id.get(k.rule.get_ref()).copied() else {
                    return Err(ctx.error(
                        k.rule.span(),
                        format!("`{}` is no rule", k.rule.get_ref()),
                        "knowledge names the rule its names belong to",
                    ));
                };
                let languages = self.rule_languages[rule].clone();
                for n in &k.names {
                    let existing = self.set.names.get(n.get_ref()).and_then(|slots| {
                        slots
                            .iter()
                            .copied()
                            .find(|&s| self.set.symbols[s].rule == rule)
                    });
                    let base = existing
                        .and_then(|s| self.set.symbols[s].portability.clone())
                        .unwrap_or_else(|| Arc::clone(&self.set.rules[rule].portability));
                    let patched = Portability([
                        patch(&base.0[0], k.rocm.as_ref()),
                        patch(&base.0[1], k.neuron.as_ref()),
                        patch(&base.0[2], k.tpu.as_ref()),
                    ]);
                    match existing {
                        Some(slot) => {
                            self.set.symbols[slot].portability = Some(Arc::new(patched));
                        }
                        None => {
                            let symbol = Symbol {
                                name: n.get_ref().clone(),
                                rule,
                                portability: Some(Arc::new(patched)),
                                kind: None,
                                section: None,
                                deprecated: None,
                                removed: None,
                                weak: false,
                            };
                            self.add_name(&ctx, n, rule, &languages, origin, Some(symbol))?;
                        }
                    }
                }
                let names: Vec<&str> = k.names.iter().map(|n| n.get_ref().as_str()).collect();
                let what = [("ROCm", &k.rocm), ("Neuron", &k.neuron), ("TPU", &k.tpu)]
                    .iter()
                    .filter_map(|(t, p)| {
                        let p = p.as_ref()?;
                        let mut s = format!("{t}: {}", p.effort.map_or("as above", |e| e.as_str()));
                        if let Some(note) = &p.note {
                            s.push_str(&format!(", {note}"));
                        }
                        Some(s)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let help = &mut self.set.rules[rule].help;
                help.push_str(&format!(
                    "\n\nNewer than the tables: {} — {what} ({}).",
                    names.join(", "),
                    k.source
                ));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<RuleSet> {
        self.set.by_id = self
            .set
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        self.apply_knowledge()?;
        for rule in &self.set.rules {
            if let Some(receiver) = &rule.receiver {
                if !self.set.by_id.contains_key(&receiver.otherwise) {
                    return Err(Error::Usage(format!(
                        "rule `{}` ({}): `receiver.otherwise` names `{}`, which is no rule",
                        rule.id, rule.origin, receiver.otherwise
                    )));
                }
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| Error::Usage(format!("cannot compile rule globs: {e}")))
        };
        self.set.patterns = GlobIndex::new(build(self.pattern_builder)?, self.pattern_entries);
        self.set.ports.rocm_macros = build(self.rocm_macro_builder)?;
        self.set.includes = GlobIndex::new(build(self.include_builder)?, self.include_entries);
        Ok(self.set)
    }
}

/// What a rule matches, as `cuda-audit rules` and `explain` show it.
fn matcher_summary(m: &RawMatch, symbols: usize) -> MatcherSummary {
    MatcherSummary {
        names: m.names.len() + symbols,
        patterns: m.patterns.iter().map(|p| p.get_ref().clone()).collect(),
        includes: m.includes.iter().map(|p| p.get_ref().clone()).collect(),
        namespaces: m.namespaces.iter().map(|p| p.get_ref().clone()).collect(),
        launch: m.launch,
        inline_asm: m.inline_asm,
    }
}

/// A rule matches something, or is a fallback that matches nothing itself (and not both).
fn check_matches_something(
    ctx: &FileCtx,
    id: &Spanned<String>,
    m: &RawMatch,
    matchers: &MatcherSummary,
) -> Result<()> {
    let id_span = id.span();
    let id = id.get_ref();
    let matches_nothing = matchers.names == 0
        && matchers.patterns.is_empty()
        && matchers.includes.is_empty()
        && matchers.namespaces.is_empty()
        && !m.launch
        && !m.inline_asm;
    if m.fallback && !matches_nothing {
        return Err(ctx.error(
            id_span,
            format!("rule `{id}` is a fallback and also matches names"),
            "a fallback rule only receives other rules' findings",
        ));
    }
    if matches_nothing && !m.fallback {
        return Err(ctx.error(
            id_span,
            format!("rule `{id}` matches nothing"),
            "add names, patterns, includes, namespaces, launch or inline-asm",
        ));
    }
    Ok(())
}

fn glob_entry(
    ctx: &FileCtx,
    pattern: &Spanned<String>,
    rule: usize,
) -> Result<(globset::Glob, GlobEntry)> {
    let text = pattern.get_ref();
    let glob = GlobBuilder::new(text)
        .literal_separator(true)
        .build()
        .map_err(|e| {
            ctx.error(
                pattern.span(),
                format!("invalid glob `{text}`"),
                &e.kind().to_string(),
            )
        })?;
    let literal_prefix: String = text
        .chars()
        .take_while(|c| !matches!(c, '*' | '?' | '[' | '{' | '\\'))
        .collect();
    Ok((
        glob,
        GlobEntry {
            rule,
            pattern: text.clone(),
            literal_prefix,
        },
    ))
}

fn port(raw: RawPort) -> Port {
    Port {
        effort: raw.effort,
        replacement: raw.replacement,
        note: raw.note,
    }
}

fn patch(base: &Port, patch: Option<&RawPortPatch>) -> Port {
    let Some(p) = patch else { return base.clone() };
    Port {
        effort: p.effort.unwrap_or(base.effort),
        replacement: p.replacement.clone().or_else(|| base.replacement.clone()),
        note: p.note.clone().or_else(|| base.note.clone()),
    }
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_ids() {
        assert!(is_kebab_case("cudart-memory"));
        assert!(is_kebab_case("nvml2"));
        assert!(!is_kebab_case("Cudart"));
        assert!(!is_kebab_case("a--b"));
        assert!(!is_kebab_case("-a"));
    }

    const RULE: &str = r#"
[[rule]]
id = "warp"
title = "Warp"
category = "device-intrinsic"
library = "cuda"
help = "h"
[rule.match]
names = ["__shfl"]
patterns = ["__shfl*_sync"]
[rule.portability]
rocm = { effort = "manual", note = "old" }
neuron = { effort = "rewrite" }
tpu = { effort = "rewrite" }
[rule.examples]
match = ["__shfl(x, 1);"]
"#;

    #[test]
    fn knowledge_patches_names_and_adds_pattern_matched_ones() {
        let text = format!(
            "{RULE}\n[[knowledge]]\nrule = \"warp\"\nnames = [\"__shfl\", \"__shfl_xor_sync\"]\nsource = \"docs\"\nrocm = {{ effort = \"none\", note = \"new\" }}\n"
        );
        let set = RuleSet::from_text("k.toml", &text).unwrap();
        for name in ["__shfl", "__shfl_xor_sync"] {
            let sym = set.lookup_name(name, Lang::Cuda).unwrap();
            let p = sym.portability.as_ref().unwrap();
            assert_eq!(p.0[0].effort, crate::portability::Effort::None, "{name}");
            assert_eq!(p.0[0].note.as_deref(), Some("new"));
            assert_eq!(p.0[1].effort, crate::portability::Effort::Rewrite);
        }
        assert!(set.find_rule("warp").unwrap().help.contains("(docs)"));
        let unknown =
            format!("{RULE}\n[[knowledge]]\nrule = \"nope\"\nnames = [\"x\"]\nsource = \"s\"\n");
        assert!(RuleSet::from_text("k.toml", &unknown).is_err());
    }
}

#[cfg(test)]
mod digest_tests {
    #[test]
    fn the_build_time_digest_is_that_of_the_embedded_files() {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (name, text) in super::builtin_files() {
            crate::hash::update_parts(&mut h, [name.as_bytes(), text.as_bytes()]);
        }
        let digest: [u8; 32] = h.finalize().into();
        assert_eq!(&digest, super::builtin_digest());
    }
}
