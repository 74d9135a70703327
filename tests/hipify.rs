//! The vendored HIPIFY tables (data/hipify/*.tsv) are fully accounted for: every row is either a
//! built-in symbol carrying the table's ROCm replacement and metadata, or listed in
//! rules/hipify/EXCLUDED.tsv with a reason. (Whether rules/hipify is current with respect to the
//! tables and tools/hipify-gen/policy.toml is checked by `hipify-gen --check`, a separate crate.)

use crate::common::{builtin_rules, repo_root};
use cuda_audit::portability::Target;
use std::collections::{BTreeMap, HashSet};

struct Row {
    tsv: String,
    cuda: String,
    hip: String,
    roc: String,
    kind: String,
    section: String,
    deprecated: String,
    removed: String,
}

fn table_rows() -> Vec<Row> {
    let dir = repo_root().join("data/hipify");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("data/hipify exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 12,
        "expected the 12 HIPIFY tables in {}",
        dir.display()
    );
    let mut rows = Vec::new();
    for path in paths {
        let tsv = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .unwrap_or_else(|| panic!("{tsv}.tsv lacks {name}"))
        };
        let (c, h, r, k, s, d, x) = (
            col("cuda_name"),
            col("hip_name"),
            col("roc_name"),
            col("kind"),
            col("section"),
            col("cuda_deprecated"),
            col("cuda_removed"),
        );
        let before = rows.len();
        for line in lines.filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), header.len(), "{tsv}.tsv: malformed row {line:?}");
            rows.push(Row {
                tsv: tsv.clone(),
                cuda: f[c].trim().into(),
                hip: f[h].trim().into(),
                roc: f[r].trim().into(),
                kind: f[k].trim().into(),
                section: f[s].trim().into(),
                deprecated: f[d].trim().into(),
                removed: f[x].trim().into(),
            });
        }
        assert!(rows.len() > before, "{tsv}.tsv has no rows");
    }
    rows
}

/// Names whose judgement a `[[knowledge]]` table in the built-in rules revises (knowledge newer
/// than the tables): their ROCm replacement is the knowledge's, not the table's.
fn revised_by_knowledge() -> HashSet<String> {
    let mut names = HashSet::new();
    for (_, text) in cuda_audit::rule::load::builtin_files() {
        let doc: toml::Table = text.parse().expect("built-in rule files are TOML");
        for k in doc
            .get("knowledge")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
        {
            for n in k
                .get("names")
                .and_then(|n| n.as_array())
                .into_iter()
                .flatten()
            {
                names.insert(n.as_str().expect("names are strings").to_string());
            }
        }
    }
    names
}

/// `(table, cuda_name)` → reason, from rules/hipify/EXCLUDED.tsv.
fn excluded() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(repo_root().join("rules/hipify/EXCLUDED.tsv"))
        .expect("rules/hipify/EXCLUDED.tsv exists");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("library\tcuda_name\tsection\treason"),
        "EXCLUDED.tsv header"
    );
    let mut out = BTreeMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "EXCLUDED.tsv: malformed line {line:?}");
        let previous = out.insert((f[0].to_string(), f[1].to_string()), f[3].to_string());
        assert!(
            previous.is_none(),
            "EXCLUDED.tsv lists {}/{} twice",
            f[0],
            f[1]
        );
    }
    out
}

#[test]
fn every_hipify_row_is_a_builtin_symbol_or_excluded() {
    let rules = builtin_rules();
    let rows = table_rows();
    let excluded = excluded();
    let revised = revised_by_knowledge();
    let mut seen = HashSet::new();
    let mut failures = Vec::new();
    let mut generated = 0;
    for row in &rows {
        let key = (row.tsv.clone(), row.cuda.clone());
        let what = format!("{}.tsv `{}`", row.tsv, row.cuda);
        if let Some(reason) = excluded.get(&key) {
            seen.insert(key);
            if reason.trim().is_empty() {
                failures.push(format!("{what}: excluded without a reason"));
            } else if let Some(id) = reason.strip_prefix("matched by hand-written rule ") {
                match rules.symbol(&row.cuda) {
                    Some(sym) if rules.rule(sym.rule).id == id => {}
                    Some(sym) => failures.push(format!(
                        "{what}: EXCLUDED says rule {id}, but rule {} matches it",
                        rules.rule(sym.rule).id
                    )),
                    None => failures.push(format!(
                        "{what}: EXCLUDED says rule {id} matches it, but no built-in rule does"
                    )),
                }
            } else if reason.starts_with("also listed in ") && rules.symbol(&row.cuda).is_none() {
                failures.push(format!(
                    "{what}: excluded as listed twice, but no built-in rule matches it"
                ));
            }
            continue;
        }
        let Some(sym) = rules.symbol(&row.cuda) else {
            failures.push(format!(
                "{what}: neither a built-in symbol nor listed in rules/hipify/EXCLUDED.tsv"
            ));
            continue;
        };
        let rule = rules.rule(sym.rule);
        if !rule.origin.starts_with("rules/hipify/") {
            failures.push(format!("{what}: matched by hand-written rule {} but not listed in EXCLUDED.tsv (re-run hipify-gen)", rule.id));
            continue;
        }
        generated += 1;
        let expected = [&row.hip, &row.roc]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str);
        let port = rules.portability_of(sym.rule, Some(sym)).get(Target::Rocm);
        if port.replacement.as_deref() != expected && !revised.contains(&row.cuda) {
            failures.push(format!(
                "{what}: ROCm replacement {:?}, table says {expected:?}",
                port.replacement
            ));
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        if sym.kind.as_deref() != Some(row.kind.as_str())
            || sym.section.as_deref() != Some(row.section.as_str())
        {
            failures.push(format!(
                "{what}: kind/section {:?}/{:?}, table says {}/{}",
                sym.kind, sym.section, row.kind, row.section
            ));
        }
        if sym.deprecated != opt(&row.deprecated) || sym.removed != opt(&row.removed) {
            failures.push(format!(
                "{what}: deprecated/removed {:?}/{:?}, table says {:?}/{:?}",
                sym.deprecated, sym.removed, row.deprecated, row.removed
            ));
        }
    }
    for (tsv, name) in excluded.keys().filter(|k| !seen.contains(*k)) {
        failures.push(format!(
            "EXCLUDED.tsv lists {tsv}.tsv `{name}`, which is no table row"
        ));
    }
    assert!(
        generated > rows.len() / 2,
        "only {generated} of {} rows are generated symbols",
        rows.len()
    );
    assert!(
        failures.is_empty(),
        "{} HIPIFY rows unaccounted for:\n{}",
        failures.len(),
        failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn hipify_families_do_not_shadow_table_names() {
    // A family pattern only reports names no exact rule lists: every table symbol resolves by name.
    let rules = builtin_rules();
    for name in [
        "cublasSgemm",
        "cublasLtMatmul",
        "cudnnCreate",
        "cufftExecC2C",
        "curand_init",
        "cusolverDnSgetrf",
        "cusparseSpMV",
        "nvrtcCompileProgram",
    ] {
        let sym = rules
            .symbol(name)
            .unwrap_or_else(|| panic!("{name} is a built-in symbol"));
        assert!(
            rules.rule(sym.rule).origin.starts_with("rules/hipify/"),
            "{name} comes from a generated rule"
        );
    }
    for id in [
        "cublas-unclassified",
        "cublaslt-unclassified",
        "cudnn-unclassified",
        "cusparse-unclassified",
    ] {
        let rule = rules
            .find_rule(id)
            .unwrap_or_else(|| panic!("family rule {id} exists"));
        assert_eq!(rule.priority, -1, "{id} is low priority");
    }
}

/// Replacement names as users see them in SARIF and JSON, for a sample of each table: the first
/// three names with a HIP equivalent and the first without one. A diff here is a data change.
#[test]
fn replacements_per_library_snapshot() {
    use cuda_audit::report::{Format, render};
    let rows = table_rows();
    let excluded = excluded();
    let mut snippet = String::new();
    let mut libraries: Vec<&str> = rows.iter().map(|r| r.tsv.as_str()).collect();
    libraries.dedup();
    for lib in libraries {
        let usable = |r: &&Row| {
            r.tsv == lib
                && !excluded.contains_key(&(r.tsv.clone(), r.cuda.clone()))
                && !r.cuda.contains(' ')
        };
        let mapped = rows
            .iter()
            .filter(usable)
            .filter(|r| !r.hip.is_empty())
            .take(3);
        let unmapped = rows
            .iter()
            .filter(usable)
            .filter(|r| r.hip.is_empty())
            .take(1);
        for r in mapped.chain(unmapped) {
            snippet.push_str(&format!("int x_{lib}_{} = {};\n", snippet.len(), r.cuda));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sample.cu"), &snippet).unwrap();
    let audit = crate::common::audit_dir(dir.path());
    let json: serde_json::Value = serde_json::from_slice(&render(Format::Json, &audit)).unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&render(Format::Sarif, &audit)).unwrap();
    let mut lines = Vec::new();
    for (f, r) in json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .zip(sarif["runs"][0]["results"].as_array().unwrap())
    {
        // JSON and SARIF carry the same judgement.
        assert_eq!(f["portability"], r["properties"]["portability"]);
        let rocm = &f["portability"]["rocm"];
        lines.push(format!(
            "{:<10} {:<48} rocm={:<9} {}",
            f["library"].as_str().unwrap(),
            f["symbol"].as_str().unwrap(),
            rocm["effort"].as_str().unwrap(),
            rocm["replacement"]
                .as_str()
                .unwrap_or("(no HIP equivalent)")
        ));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("hipify-replacements.txt", lines.join("\n")));
}
