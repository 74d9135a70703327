//! hipify-gen: turns the vendored HIPIFY tables (data/hipify/*.tsv) and the hand-written policy
//! (tools/hipify-gen/policy.toml) into cuda-audit rule data: rules/hipify/<table>.toml, plus
//! rules/hipify/EXCLUDED.tsv listing every table row deliberately not turned into rule data.
//!
//! Usage: `cargo run --manifest-path tools/hipify-gen/Cargo.toml [-- --check] [--root DIR]`.
//! `--check` writes nothing and exits 1 when the files on disk differ from what would be generated.

mod glob;
mod render;

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

type Result<T> = std::result::Result<T, String>;

// ------------------------------------------------------------------------------------------------
// Policy
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    None,
    Automatic,
    Manual,
    Rewrite,
}

impl Effort {
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Automatic => "automatic",
            Effort::Manual => "manual",
            Effort::Rewrite => "rewrite",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub effort: Effort,
    pub replacement: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Policy {
    hipify_commit: String,
    owner_order: Vec<String>,
    /// Public documents the judgements rest on, by key (`[source.KEY]`); libraries and rules cite
    /// them with `sources = ["KEY", ...]`, and the generated help lists their titles and addresses.
    #[serde(default)]
    source: BTreeMap<String, Source>,
    library: BTreeMap<String, LibPolicy>,
    #[serde(default)]
    route: Vec<Route>,
    #[serde(default)]
    unmapped: Vec<UnmappedOverride>,
    #[serde(default)]
    exclude: Vec<Exclude>,
    #[serde(default)]
    rule: Vec<RulePolicy>,
    #[serde(default)]
    family: Vec<FamilyPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    title: String,
    url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LibPolicy {
    rule_library: String,
    category: String,
    table: String,
    /// Documents besides the HIPIFY table (keys of `[source]`), cited by every rule of the library.
    #[serde(default)]
    sources: Vec<String>,
    roc_library: Option<String>,
    version_label: Option<String>,
    /// Effort of a mapped name whose HIP name equals the CUDA name (default: as mapped).
    identical_effort: Option<Effort>,
    /// Effort of a mapped name (default automatic).
    mapped_effort: Option<Effort>,
    rocm: Port,
    unmapped: Port,
    neuron: Port,
    tpu: Port,
    rocm_help: String,
    neuron_help: String,
    tpu_help: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ExamplesPolicy {
    #[serde(default, rename = "match")]
    should_match: Vec<String>,
    #[serde(default, rename = "no-match")]
    should_not_match: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RulePolicy {
    id: String,
    tsv: String,
    title: String,
    #[serde(default)]
    sections: Vec<String>,
    help: String,
    library: Option<String>,
    category: Option<String>,
    level: Option<String>,
    priority: Option<i32>,
    rocm: Option<Port>,
    mapped_effort: Option<Effort>,
    unmapped: Option<Port>,
    neuron: Option<Port>,
    tpu: Option<Port>,
    rocm_help: Option<String>,
    /// Documents (keys of `[source]`) this rule cites besides its library's.
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    examples: ExamplesPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FamilyPolicy {
    id: String,
    tsv: String,
    title: String,
    help: String,
    library: Option<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    rocm: Option<Port>,
    rocm_help: Option<String>,
    #[serde(default)]
    examples: ExamplesPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Route {
    tsv: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    sections: Vec<String>,
    rule: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnmappedOverride {
    tsv: Option<String>,
    names: Vec<String>,
    effort: Effort,
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exclude {
    tsv: String,
    names: Vec<String>,
    reason: String,
}

// ------------------------------------------------------------------------------------------------
// Tables
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub tsv: String,
    pub cuda: String,
    pub hip: String,
    pub roc: String,
    pub kind: String,
    pub section: String,
    pub cuda_deprecated: String,
    pub cuda_removed: String,
    pub hip_deprecated: String,
    pub hip_removed: String,
    pub hip_experimental: String,
    pub roc_deprecated: String,
    pub roc_removed: String,
}

fn read_table(path: &Path, tsv: &str) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .split('\t')
        .collect();
    let col = |name: &str| -> Result<usize> {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("{}: no column `{name}`", path.display()))
    };
    let c = [
        col("cuda_name")?,
        col("hip_name")?,
        col("roc_name")?,
        col("kind")?,
        col("section")?,
        col("cuda_deprecated")?,
        col("cuda_removed")?,
        col("hip_deprecated")?,
        col("hip_removed")?,
        col("hip_experimental")?,
        col("roc_deprecated")?,
        col("roc_removed")?,
    ];
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != header.len() {
            return Err(format!(
                "{}:{}: {} fields, header has {}",
                path.display(),
                n + 2,
                f.len(),
                header.len()
            ));
        }
        let g = |i: usize| f[c[i]].trim().to_string();
        rows.push(Row {
            tsv: tsv.to_string(),
            cuda: g(0),
            hip: g(1),
            roc: g(2),
            kind: g(3),
            section: g(4),
            cuda_deprecated: g(5),
            cuda_removed: g(6),
            hip_deprecated: g(7),
            hip_removed: g(8),
            hip_experimental: g(9),
            roc_deprecated: g(10),
            roc_removed: g(11),
        });
    }
    Ok(rows)
}

// ------------------------------------------------------------------------------------------------
// Hand-written rules
// ------------------------------------------------------------------------------------------------

#[derive(Default)]
struct HandRules {
    /// Exact name → id of the hand-written rule that matches it.
    names: HashMap<String, String>,
    /// Namespace path → rule id.
    namespaces: HashMap<String, String>,
}

fn read_hand_rules(rules_dir: &Path) -> Result<HandRules> {
    let mut out = HandRules::default();
    let generated = rules_dir.join("hipify");
    let mut files = Vec::new();
    let mut stack = vec![rules_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path != generated {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            format!(
                "cannot parse hand-written rule file {}: {e}",
                path.display()
            )
        })?;
        let Some(rules) = table.get("rule").and_then(|r| r.as_array()) else {
            continue;
        };
        for rule in rules {
            let id = rule
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string();
            let strings = |v: Option<&toml::Value>| -> Vec<String> {
                v.and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let m = rule.get("match");
            for name in strings(m.and_then(|m| m.get("names"))) {
                out.names.entry(name).or_insert_with(|| id.clone());
            }
            for ns in strings(m.and_then(|m| m.get("namespaces"))) {
                out.namespaces.entry(ns).or_insert_with(|| id.clone());
            }
            if let Some(symbols) = rule.get("symbols").and_then(|s| s.as_table()) {
                for name in symbols.keys() {
                    out.names.entry(name.clone()).or_insert_with(|| id.clone());
                }
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Generation
// ------------------------------------------------------------------------------------------------

/// What becomes of one table row.
#[derive(Debug, Clone)]
pub struct Excluded {
    pub tsv: String,
    pub cuda: String,
    pub section: String,
    pub reason: String,
    /// A short class for the summary ("standard C/C++ name", "hand-written rule", ...).
    pub class: String,
}

/// Per-symbol data as written into the rule file.
#[derive(Debug, Clone)]
pub struct SymbolOut {
    pub name: String,
    pub kind: String,
    pub section: String,
    pub deprecated: Option<String>,
    pub removed: Option<String>,
    pub rocm_effort: Option<Effort>,
    pub rocm_replacement: Option<String>,
    pub rocm_note: Option<String>,
    /// Whether neither HIP nor the ROC library has the name.
    pub unmapped: bool,
    /// Plain-word device names (`saturate`, `umin`, `rsqrtf`) that a project may well define for
    /// itself: findings are dropped when the scanned tree defines the name.
    pub weak: bool,
}

/// One generated rule, ready to render.
#[derive(Debug)]
pub struct RuleOut {
    pub id: String,
    pub tsv: String,
    pub title: String,
    pub category: String,
    pub library: String,
    pub level: String,
    pub priority: i32,
    pub help: String,
    pub patterns: Vec<String>,
    pub namespaces: Vec<String>,
    pub rocm: Port,
    pub neuron: Port,
    pub tpu: Port,
    pub symbols: Vec<SymbolOut>,
    pub should_match: Vec<String>,
    pub should_not_match: Vec<String>,
}

struct Generated {
    files: BTreeMap<String, String>,
    rules: usize,
    symbols: usize,
    excluded: Vec<Excluded>,
}

fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c == b'_' || c.is_ascii_alphabetic())
        && b.all(|c| c == b'_' || c.is_ascii_alphanumeric())
}

fn any_glob(globs: &[String], name: &str) -> bool {
    globs.iter().any(|g| glob::matches(g, name))
}

fn generate(root: &Path, policy: &Policy, hand: &HandRules) -> Result<Generated> {
    let data_dir = root.join("data/hipify");
    // Every table in data/hipify must be covered by the policy.
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(&data_dir)
        .map_err(|e| format!("cannot read {}: {e}", data_dir.display()))?
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "tsv") {
            on_disk.insert(p.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = policy.owner_order.iter().cloned().collect();
    if on_disk != listed {
        return Err(format!(
            "policy owner-order {listed:?} does not list exactly the tables in data/hipify {on_disk:?}"
        ));
    }
    for tsv in &policy.owner_order {
        if !policy.library.contains_key(tsv) {
            return Err(format!("policy has no [library.{tsv}]"));
        }
    }

    // Rule and family ids, and which table each belongs to.
    let mut ids = BTreeSet::new();
    let mut rule_tsv: HashMap<&str, &str> = HashMap::new();
    for r in &policy.rule {
        if !ids.insert(r.id.clone()) {
            return Err(format!("duplicate rule id `{}` in policy", r.id));
        }
        if !policy.library.contains_key(&r.tsv) {
            return Err(format!("rule `{}`: unknown tsv `{}`", r.id, r.tsv));
        }
        rule_tsv.insert(&r.id, &r.tsv);
    }
    for f in &policy.family {
        if !ids.insert(f.id.clone()) {
            return Err(format!("duplicate rule id `{}` in policy", f.id));
        }
        if !policy.library.contains_key(&f.tsv) {
            return Err(format!("family `{}`: unknown tsv `{}`", f.id, f.tsv));
        }
    }
    for route in &policy.route {
        match rule_tsv.get(route.rule.as_str()) {
            Some(t) if *t == route.tsv => {}
            Some(t) => {
                return Err(format!(
                    "route to `{}` is for tsv `{}` but the rule is for `{t}`",
                    route.rule, route.tsv
                ));
            }
            None => return Err(format!("route to unknown rule `{}`", route.rule)),
        }
        if route.names.is_empty() && route.sections.is_empty() {
            return Err(format!(
                "route to `{}` has neither names nor sections",
                route.rule
            ));
        }
    }
    // section → rule, per table
    let mut section_rule: HashMap<(&str, &str), &str> = HashMap::new();
    for r in &policy.rule {
        for s in &r.sections {
            if let Some(prev) = section_rule.insert((&r.tsv, s), &r.id) {
                return Err(format!(
                    "section `{s}` of {} is claimed by both `{prev}` and `{}`",
                    r.tsv, r.id
                ));
            }
        }
    }

    // Read the tables in owner order.
    let mut tables: Vec<(String, Vec<Row>)> = Vec::new();
    for tsv in &policy.owner_order {
        tables.push((
            tsv.clone(),
            read_table(&data_dir.join(format!("{tsv}.tsv")), tsv)?,
        ));
    }

    // Explicit exclusions must name real rows (catches typos and stale policy).
    for ex in &policy.exclude {
        let rows = tables
            .iter()
            .find(|(t, _)| *t == ex.tsv)
            .map(|(_, r)| r)
            .ok_or_else(|| format!("exclude: unknown tsv `{}`", ex.tsv))?;
        for name in &ex.names {
            if !rows.iter().any(|r| glob::matches(name, &r.cuda)) {
                return Err(format!(
                    "exclude: `{name}` matches no row of {}.tsv",
                    ex.tsv
                ));
            }
        }
    }

    let mut excluded = Vec::new();
    let mut owner: HashMap<String, (String, String)> = HashMap::new(); // name → (tsv, rule id)
    let mut per_rule: HashMap<String, Vec<SymbolOut>> = HashMap::new();
    // Names of rows routed to a rule but taken by a hand-written rule (for example validation).
    let mut stolen: HashMap<String, String> = HashMap::new();

    for (tsv, rows) in &tables {
        let lib = &policy.library[tsv];
        for row in rows {
            let exclude = |reason: String, class: &str| Excluded {
                tsv: tsv.clone(),
                cuda: row.cuda.clone(),
                section: row.section.clone(),
                reason,
                class: class.to_string(),
            };
            if !is_identifier(&row.cuda) {
                excluded.push(exclude(
                    "cuda_name is not a C identifier (table header or formatting residue)".into(),
                    "not an identifier",
                ));
                continue;
            }
            if let Some(ex) = policy
                .exclude
                .iter()
                .find(|e| e.tsv == *tsv && any_glob(&e.names, &row.cuda))
            {
                excluded.push(exclude(ex.reason.clone(), &ex.reason));
                continue;
            }
            if let Some(id) = hand.names.get(&row.cuda) {
                stolen.insert(row.cuda.clone(), id.clone());
                excluded.push(exclude(
                    format!("matched by hand-written rule {id}"),
                    "matched by a hand-written rule",
                ));
                continue;
            }
            if let Some((other_tsv, other_rule)) = owner.get(&row.cuda) {
                excluded.push(exclude(
                    format!("also listed in {other_tsv}.tsv, whose row generates the symbol (rule {other_rule})"),
                    "listed in two tables",
                ));
                continue;
            }
            let rule_id = policy
                .route
                .iter()
                .find(|r| {
                    r.tsv == *tsv
                        && (r.names.is_empty() || any_glob(&r.names, &row.cuda))
                        && (r.sections.is_empty() || r.sections.contains(&row.section))
                })
                .map(|r| r.rule.as_str())
                .or_else(|| {
                    section_rule
                        .get(&(tsv.as_str(), row.section.as_str()))
                        .copied()
                })
                .ok_or_else(|| {
                    format!(
                        "{tsv}.tsv row `{}` (section `{}`) is routed to no rule",
                        row.cuda, row.section
                    )
                })?;
            let rule = policy.rule.iter().find(|r| r.id == rule_id).unwrap();
            owner.insert(row.cuda.clone(), (tsv.clone(), rule_id.to_string()));
            per_rule
                .entry(rule_id.to_string())
                .or_default()
                .push(symbol_for(row, lib, rule, policy));
        }
    }

    // Assemble the rules.
    let exact_names: BTreeSet<String> = owner
        .keys()
        .cloned()
        .chain(hand.names.keys().cloned())
        .collect();
    let mut rules_by_tsv: BTreeMap<String, Vec<RuleOut>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for r in &policy.rule {
        let lib = &policy.library[&r.tsv];
        let mut symbols = per_rule.remove(&r.id).unwrap_or_default();
        symbols.sort_by(|a, b| a.name.cmp(&b.name));
        if symbols.is_empty() && r.patterns.is_empty() && r.namespaces.is_empty() {
            warnings.push(format!(
                "rule `{}` has no symbols left and no patterns: not generated",
                r.id
            ));
            continue;
        }
        let rocm = r.rocm.clone().unwrap_or_else(|| lib.rocm.clone());
        let unmapped = r.unmapped.clone().unwrap_or_else(|| lib.unmapped.clone());
        let neuron = r.neuron.clone().unwrap_or_else(|| lib.neuron.clone());
        let tpu = r.tpu.clone().unwrap_or_else(|| lib.tpu.clone());
        let n_unmapped = symbols.iter().filter(|s| s.unmapped).count();
        let roc_lib = lib.roc_library.as_deref();
        let mut help = format!("{}\n\n", r.help.trim());
        let _ = write!(
            help,
            "ROCm ({} by default): {}",
            rocm.effort.as_str(),
            r.rocm_help.as_deref().unwrap_or(&lib.rocm_help).trim()
        );
        if n_unmapped > 0 {
            let _ = write!(
                help,
                " {n_unmapped} of the {} names have no HIP{} equivalent in the table: {} ({}).",
                symbols.len(),
                roc_lib.map(|l| format!(" or {l}")).unwrap_or_default(),
                unmapped.effort.as_str(),
                unmapped.note.as_deref().unwrap_or("no equivalent"),
            );
        }
        let _ = write!(
            help,
            "\nNeuron ({}): {}",
            neuron.effort.as_str(),
            lib.neuron_help.trim()
        );
        let _ = write!(
            help,
            "\nTPU ({}): {}",
            tpu.effort.as_str(),
            lib.tpu_help.trim()
        );
        write_sources(&mut help, policy, lib, &r.tsv, &r.sources)?;
        let mut rule = RuleOut {
            id: r.id.clone(),
            tsv: r.tsv.clone(),
            title: r.title.clone(),
            category: r.category.clone().unwrap_or_else(|| lib.category.clone()),
            library: r
                .library
                .clone()
                .unwrap_or_else(|| lib.rule_library.clone()),
            level: r.level.clone().unwrap_or_else(|| "warning".into()),
            priority: r.priority.unwrap_or(0),
            help,
            patterns: r.patterns.clone(),
            namespaces: r
                .namespaces
                .iter()
                .filter(|ns| !hand.namespaces.contains_key(*ns))
                .cloned()
                .collect(),
            rocm,
            neuron,
            tpu,
            symbols,
            should_match: Vec::new(),
            should_not_match: Vec::new(),
        };
        set_examples(&mut rule, &r.examples, &exact_names, &stolen, &mut warnings)?;
        rules_by_tsv.entry(r.tsv.clone()).or_default().push(rule);
    }
    for f in &policy.family {
        let lib = &policy.library[&f.tsv];
        let rocm = f.rocm.clone().unwrap_or(Port {
            effort: Effort::Manual,
            replacement: None,
            note: Some("not in the HIPIFY tables: classify by hand".into()),
        });
        let namespaces: Vec<String> = f
            .namespaces
            .iter()
            .filter(|ns| !hand.namespaces.contains_key(*ns))
            .cloned()
            .collect();
        if f.patterns.is_empty() && namespaces.is_empty() {
            warnings.push(format!(
                "family `{}` has no patterns or namespaces left: not generated",
                f.id
            ));
            continue;
        }
        let mut help = format!("{}\n\n", f.help.trim());
        let _ = write!(
            help,
            "A low-priority name family: it reports only names that no exact rule lists and that the scanned tree does not define itself, so no per-name replacement is known. ROCm ({}): {}",
            rocm.effort.as_str(),
            f.rocm_help.as_deref().unwrap_or("look the name up in the current ROCm library and classify it by hand; most names of the library have a HIP counterpart (see the rules generated from the same table).").trim()
        );
        let _ = write!(
            help,
            "\nNeuron ({}): {}",
            lib.neuron.effort.as_str(),
            lib.neuron_help.trim()
        );
        let _ = write!(
            help,
            "\nTPU ({}): {}",
            lib.tpu.effort.as_str(),
            lib.tpu_help.trim()
        );
        write_sources(&mut help, policy, lib, &f.tsv, &[])?;
        let mut rule = RuleOut {
            id: f.id.clone(),
            tsv: f.tsv.clone(),
            title: f.title.clone(),
            category: lib.category.clone(),
            library: f
                .library
                .clone()
                .unwrap_or_else(|| lib.rule_library.clone()),
            level: "note".into(),
            priority: -1,
            help,
            patterns: f.patterns.clone(),
            namespaces,
            rocm,
            neuron: lib.neuron.clone(),
            tpu: lib.tpu.clone(),
            symbols: Vec::new(),
            should_match: Vec::new(),
            should_not_match: Vec::new(),
        };
        set_examples(&mut rule, &f.examples, &exact_names, &stolen, &mut warnings)?;
        rules_by_tsv.entry(f.tsv.clone()).or_default().push(rule);
    }
    if let Some(id) = per_rule.keys().next() {
        return Err(format!(
            "rows routed to `{id}`, which the policy does not define"
        ));
    }
    for w in &warnings {
        eprintln!("hipify-gen: warning: {w}");
    }

    excluded.sort_by(|a, b| (&a.tsv, &a.cuda).cmp(&(&b.tsv, &b.cuda)));
    let mut files = BTreeMap::new();
    let mut n_rules = 0;
    let mut n_symbols = 0;
    for (tsv, rules) in &rules_by_tsv {
        n_rules += rules.len();
        n_symbols += rules.iter().map(|r| r.symbols.len()).sum::<usize>();
        files.insert(
            format!("{tsv}.toml"),
            render::rule_file(tsv, &policy.hipify_commit, rules),
        );
    }
    files.insert("EXCLUDED.tsv".into(), render::excluded_file(&excluded));
    files.insert("README.md".into(), render::readme(&policy.hipify_commit));
    Ok(Generated {
        files,
        rules: n_rules,
        symbols: n_symbols,
        excluded,
    })
}

/// The help's closing "Sources:" list: the library's HIPIFY table at the vendored commit (where the
/// names and their HIP/ROC equivalents come from), then every other document the library and the
/// rule cite, each by title and address.
fn write_sources(
    help: &mut String,
    policy: &Policy,
    lib: &LibPolicy,
    tsv: &str,
    extra: &[String],
) -> Result<()> {
    let commit = &policy.hipify_commit;
    let commit_short = &commit[..12.min(commit.len())];
    let _ = write!(
        help,
        "\n\nSources:\n- HIPIFY table {} at {commit_short} (the names and their HIP/ROC equivalents; data/hipify/{tsv}.tsv): https://github.com/ROCm/HIPIFY/blob/{commit}/docs/tables/{}",
        lib.table, lib.table
    );
    let mut seen = BTreeSet::new();
    for key in lib.sources.iter().chain(extra) {
        if !seen.insert(key) {
            continue;
        }
        let src = policy
            .source
            .get(key)
            .ok_or_else(|| format!("source `{key}` is cited but not defined under [source]"))?;
        let _ = write!(help, "\n- {}: {}", src.title, src.url);
    }
    help.push_str("\n\nGenerated by tools/hipify-gen.");
    Ok(())
}

/// The symbol entry for a row of `rule`: its ROCm judgement, and the notes that explain it.
fn symbol_for(row: &Row, lib: &LibPolicy, rule: &RulePolicy, policy: &Policy) -> SymbolOut {
    let rule_rocm = rule.rocm.as_ref().unwrap_or(&lib.rocm);
    let roc_lib = lib.roc_library.as_deref().unwrap_or("ROC library");
    let version = lib.version_label.as_deref().unwrap_or("CUDA");
    let mut notes: Vec<String> = Vec::new();
    let (effort, replacement, unmapped);
    if !row.hip.is_empty() {
        let mapped = rule
            .mapped_effort
            .or(lib.mapped_effort)
            .unwrap_or(Effort::Automatic);
        effort = match lib.identical_effort {
            Some(e) if row.hip == row.cuda && rule.mapped_effort.is_none() => e,
            _ => mapped,
        };
        replacement = Some(row.hip.clone());
        if !row.roc.is_empty() {
            notes.push(format!("{roc_lib}: {}", row.roc));
        }
        unmapped = false;
    } else if !row.roc.is_empty() {
        effort = Effort::Manual;
        replacement = Some(row.roc.clone());
        notes.push(format!(
            "only {roc_lib} has it (no HIP-wrapper name in the HIPIFY table)"
        ));
        unmapped = false;
    } else {
        let over = policy.unmapped.iter().find(|u| {
            u.tsv.as_deref().is_none_or(|t| t == row.tsv) && any_glob(&u.names, &row.cuda)
        });
        let (e, note) = match over {
            Some(u) => (u.effort, Some(u.note.clone())),
            None => {
                let u = rule.unmapped.as_ref().unwrap_or(&lib.unmapped);
                (u.effort, u.note.clone())
            }
        };
        effort = e;
        replacement = None;
        notes.extend(note);
        unmapped = true;
    }
    if !row.cuda_deprecated.is_empty() {
        notes.push(format!("deprecated in {version} {}", row.cuda_deprecated));
    }
    if !row.cuda_removed.is_empty() {
        notes.push(format!("removed in {version} {}", row.cuda_removed));
    }
    if !row.hip.is_empty() {
        if !row.hip_experimental.is_empty() {
            notes.push(format!(
                "HIP support experimental since ROCm {}",
                row.hip_experimental
            ));
        }
        if !row.hip_deprecated.is_empty() {
            notes.push(format!(
                "{} is deprecated in HIP since ROCm {}",
                row.hip, row.hip_deprecated
            ));
        }
        if !row.hip_removed.is_empty() {
            notes.push(format!(
                "{} was removed from HIP in ROCm {}",
                row.hip, row.hip_removed
            ));
        }
    }
    if !row.roc.is_empty() {
        if !row.roc_deprecated.is_empty() {
            notes.push(format!(
                "{} is deprecated in {roc_lib} since ROCm {}",
                row.roc, row.roc_deprecated
            ));
        }
        if !row.roc_removed.is_empty() {
            notes.push(format!(
                "{} was removed from {roc_lib} in ROCm {}",
                row.roc, row.roc_removed
            ));
        }
    }
    // A symbol note replaces the rule's note: keep the rule's general caveat after the specifics.
    if !notes.is_empty()
        && let Some(n) = &rule_rocm.note
    {
        notes.push(n.clone());
    }
    SymbolOut {
        name: row.cuda.clone(),
        kind: row.kind.clone(),
        section: row.section.clone(),
        deprecated: (!row.cuda_deprecated.is_empty()).then(|| row.cuda_deprecated.clone()),
        removed: (!row.cuda_removed.is_empty()).then(|| row.cuda_removed.clone()),
        rocm_effort: (effort != rule_rocm.effort).then_some(effort),
        rocm_replacement: replacement,
        rocm_note: (!notes.is_empty()).then(|| notes.join("; ")),
        unmapped,
        weak: row.tsv == "device" && !row.cuda.starts_with("__"),
    }
}

// ------------------------------------------------------------------------------------------------
// Examples
// ------------------------------------------------------------------------------------------------

/// Identifiers of a C/C++ snippet outside comments and string/char literals, and the identifiers
/// used as a namespace qualifier (`ns::`).
fn snippet_tokens(src: &str) -> (Vec<String>, Vec<String>) {
    let b = src.as_bytes();
    let mut idents = Vec::new();
    let mut qualifiers = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == b'_' || c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let word = src[start..i].to_string();
            if src[i..].trim_start().starts_with("::") {
                qualifiers.push(word.clone());
            }
            idents.push(word);
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i] == b'_' || b[i] == b'.' || b[i].is_ascii_alphanumeric()) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    (idents, qualifiers)
}

/// Which identifiers of `src` the rule would claim.
fn claimed(rule: &RuleOut, src: &str, exact_elsewhere: &BTreeSet<String>) -> Vec<String> {
    let (idents, qualifiers) = snippet_tokens(src);
    let own: BTreeSet<&str> = rule.symbols.iter().map(|s| s.name.as_str()).collect();
    let mut hits = Vec::new();
    for id in &idents {
        if own.contains(id.as_str())
            || (!exact_elsewhere.contains(id) && any_glob(&rule.patterns, id))
        {
            hits.push(id.clone());
        }
    }
    if let Some(q) = qualifiers.first().filter(|q| rule.namespaces.contains(q)) {
        hits.push(format!("{q}::"));
    }
    hits
}

fn set_examples(
    rule: &mut RuleOut,
    ex: &ExamplesPolicy,
    exact_names: &BTreeSet<String>,
    stolen: &HashMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let own: BTreeSet<String> = rule.symbols.iter().map(|s| s.name.clone()).collect();
    let elsewhere: BTreeSet<String> = exact_names.difference(&own).cloned().collect();
    if ex.should_match.is_empty() {
        return Err(format!(
            "rule `{}` has no match examples in the policy",
            rule.id
        ));
    }
    for snippet in &ex.should_match {
        if claimed(rule, snippet, &elsewhere).is_empty() {
            let (idents, _) = snippet_tokens(snippet);
            if let Some(name) = idents.iter().find(|i| stolen.contains_key(*i)) {
                warnings.push(format!(
                    "rule `{}`: match example dropped: `{name}` is now matched by hand-written rule {}",
                    rule.id, stolen[name]
                ));
                continue;
            }
            return Err(format!(
                "rule `{}`: match example claims no name of the rule:\n{snippet}",
                rule.id
            ));
        }
        rule.should_match.push(snippet.clone());
    }
    for snippet in &ex.should_not_match {
        let hits = claimed(rule, snippet, &elsewhere);
        if !hits.is_empty() {
            return Err(format!(
                "rule `{}`: no-match example uses {hits:?}, which the rule matches:\n{snippet}",
                rule.id
            ));
        }
        rule.should_not_match.push(snippet.clone());
    }
    if rule.should_match.is_empty() {
        // Every example lost its names to hand-written rules: synthesize one from a remaining symbol.
        let pick = rule
            .symbols
            .iter()
            .find(|s| s.kind.contains("function"))
            .or_else(|| rule.symbols.first())
            .ok_or_else(|| {
                format!(
                    "rule `{}`: no example left and no symbol to build one from",
                    rule.id
                )
            })?;
        let snippet = match pick.kind.as_str() {
            "device_function" => format!("__device__ void example(void) {{ {}(); }}", pick.name),
            "function" => format!("void example(void) {{ {}(); }}", pick.name),
            "type" => format!("{} example_value;", pick.name),
            _ => format!("int example_value = {};", pick.name),
        };
        warnings.push(format!(
            "rule `{}`: synthesized match example `{snippet}`",
            rule.id
        ));
        rule.should_match.push(snippet);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

fn run() -> Result<bool> {
    let mut check = false;
    let mut root: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--root" => root = Some(args.next().ok_or("--root needs a directory")?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: hipify-gen [--check] [--root DIR]\n\nRegenerates rules/hipify/ from data/hipify/*.tsv and tools/hipify-gen/policy.toml.\n--check  write nothing; exit 1 if rules/hipify/ is not what would be generated"
                );
                return Ok(true);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    let root = root.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", root.display()))?;
    let policy_path = root.join("tools/hipify-gen/policy.toml");
    let policy_text = std::fs::read_to_string(&policy_path)
        .map_err(|e| format!("cannot read {}: {e}", policy_path.display()))?;
    let policy: Policy =
        toml::from_str(&policy_text).map_err(|e| format!("{}: {e}", policy_path.display()))?;
    let hand = read_hand_rules(&root.join("rules"))?;
    let generated = generate(&root, &policy, &hand)?;

    // Sanity: every generated rule file parses as TOML.
    for (name, text) in &generated.files {
        if name.ends_with(".toml") {
            toml::from_str::<toml::Table>(text)
                .map_err(|e| format!("generated {name} is not valid TOML: {e}"))?;
        }
    }

    let out_dir = root.join("rules/hipify");
    let mut stale = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&out_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !generated.files.contains_key(&name)
                && (name.ends_with(".toml") || name.ends_with(".tsv"))
            {
                stale.push(name);
            }
        }
    }
    stale.sort();
    let mut changed = Vec::new();
    for (name, text) in &generated.files {
        let current = std::fs::read_to_string(out_dir.join(name)).ok();
        if current.as_deref() != Some(text.as_str()) {
            changed.push(name.clone());
        }
    }

    let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &generated.excluded {
        *by_class.entry(e.class.as_str()).or_default() += 1;
    }
    eprintln!(
        "hipify-gen: {} rules, {} symbols, {} rows excluded",
        generated.rules,
        generated.symbols,
        generated.excluded.len()
    );
    for (class, n) in &by_class {
        eprintln!("  {n:>5}  {class}");
    }

    if check {
        if changed.is_empty() && stale.is_empty() {
            eprintln!("hipify-gen: rules/hipify is up to date");
            return Ok(true);
        }
        for name in &changed {
            eprintln!("hipify-gen: rules/hipify/{name} differs from the generated output");
        }
        for name in &stale {
            eprintln!("hipify-gen: rules/hipify/{name} is not generated any more");
        }
        eprintln!(
            "hipify-gen: run `cargo run --manifest-path tools/hipify-gen/Cargo.toml` to regenerate"
        );
        return Ok(false);
    }
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    for name in &changed {
        let path = out_dir.join(name);
        std::fs::write(&path, &generated.files[name])
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("hipify-gen: wrote rules/hipify/{name}");
    }
    for name in &stale {
        let path = out_dir.join(name);
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        eprintln!("hipify-gen: removed rules/hipify/{name}");
    }
    if changed.is_empty() && stale.is_empty() {
        eprintln!("hipify-gen: rules/hipify is up to date");
    }
    Ok(true)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hipify-gen: error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_skip_comments_and_strings() {
        let (ids, qs) = snippet_tokens("a(\"b\"); // c\n/* d */ e::f('g'); 0x1f");
        assert_eq!(ids, ["a", "e", "f"]);
        assert_eq!(qs, ["e"]);
    }
}
