//! Which framework a method-style use belongs to. `.cuda()`, `.to("cuda")`, `.is_cuda` and
//! `device="cuda"` name no module: they are PyTorch's when the file reaches PyTorch — imports it,
//! or imports one of the tree's own modules that does — and otherwise belong to whatever tensor
//! library the receiver is, which the finding must not pretend to know (`[rule.receiver]` in
//! the rule data names the frameworks and the rule such findings fall back to).

use crate::finding::{FileHits, Hit};
use crate::hash::FastMap;
use crate::rule::RuleSet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One Python file's imports, as the front end recorded them.
pub struct FileImports<'a> {
    pub path: &'a str,
    pub imports: &'a [String],
}

/// Whether a symbol is method-style: it starts with `.` or is a keyword argument (`device=cuda`).
pub fn is_method_style(symbol: &str) -> bool {
    symbol.starts_with('.')
        || symbol.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Moves method-style hits of rules with a `receiver` to the rule's `otherwise` rule when their
/// file does not reach one of its frameworks. Returns how many were moved.
pub fn attribute(files: &mut [FileHits], imports: &[FileImports], rules: &RuleSet) -> usize {
    let candidate = |h: &Hit| {
        rules
            .rule(h.rule)
            .receiver
            .as_ref()
            .filter(|_| is_method_style(&h.symbol))
    };
    if !files
        .iter()
        .any(|f| f.hits.iter().any(|h| candidate(h).is_some()))
    {
        return 0;
    }
    let graph = ImportGraph::new(imports);
    // Reach per framework list (rules normally share one).
    let mut reach: BTreeMap<Vec<String>, Vec<bool>> = BTreeMap::new();
    let mut moved = 0;
    for FileHits { path, hits } in files.iter_mut() {
        let file = graph.index.get(path.as_str()).copied();
        for h in hits.iter_mut() {
            let Some(receiver) = candidate(h) else {
                continue;
            };
            let reached = reach
                .entry(receiver.frameworks.clone())
                .or_insert_with(|| graph.reaching(&receiver.frameworks));
            if file.is_some_and(|i| reached[i]) {
                continue;
            }
            let Some(other) = rules.rule_index(&receiver.otherwise) else {
                continue;
            };
            h.rule = other;
            h.portability = Arc::clone(&rules.rule(other).portability);
            moved += 1;
        }
    }
    moved
}

/// Python files and the files of the tree each one imports.
struct ImportGraph<'a> {
    files: &'a [FileImports<'a>],
    index: FastMap<&'a str, usize>,
    /// Per file, the tree's files it imports.
    deps: Vec<Vec<usize>>,
}

impl<'a> ImportGraph<'a> {
    fn new(files: &'a [FileImports<'a>]) -> Self {
        let index: FastMap<&str, usize> =
            files.iter().enumerate().map(|(i, f)| (f.path, i)).collect();
        // Every dotted suffix of a file's module path (`src.pkg.models.net`, `pkg.models.net`,
        // …): where the tree's import roots are is not known, so any suffix may be what an
        // import names.
        let mut modules: FastMap<String, Vec<usize>> = FastMap::default();
        for (i, f) in files.iter().enumerate() {
            let parts = module_parts(f.path);
            for start in 0..parts.len() {
                modules.entry(parts[start..].join(".")).or_default().push(i);
            }
        }
        let deps = files
            .iter()
            .map(|f| {
                let mut deps = Vec::new();
                for import in f.imports {
                    let Some(dotted) = absolute(f.path, import) else {
                        continue;
                    };
                    // `from pkg.models import Net` records `pkg.models.Net`: the longest prefix
                    // that is a module of the tree.
                    let mut segments: Vec<&str> = dotted.split('.').collect();
                    while !segments.is_empty() {
                        if let Some(found) = modules.get(&segments.join(".")) {
                            deps.extend(found.iter().copied());
                            break;
                        }
                        segments.pop();
                    }
                }
                deps.sort_unstable();
                deps.dedup();
                deps
            })
            .collect();
        ImportGraph { files, index, deps }
    }

    /// Per file: whether it imports one of `frameworks`, directly or through the tree's modules.
    fn reaching(&self, frameworks: &[String]) -> Vec<bool> {
        let mut reach: Vec<bool> = self
            .files
            .iter()
            .map(|f| {
                f.imports.iter().any(|m| {
                    !m.starts_with('.')
                        && frameworks
                            .iter()
                            .any(|fw| m.split('.').next() == Some(fw.as_str()))
                })
            })
            .collect();
        // To a fixed point: at most one pass per file, usually two or three.
        for _ in 0..self.files.len() {
            let mut changed = false;
            for i in 0..reach.len() {
                if !reach[i] && self.deps[i].iter().any(|&j| reach[j]) {
                    reach[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        reach
    }
}

/// `pkg/models/net.py` → `[pkg, models, net]`; a package's `__init__.py` is the package.
fn module_parts(path: &str) -> Vec<&str> {
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
        .or_else(|| path.strip_suffix(".ipynb"))
        .unwrap_or(path);
    let mut parts: Vec<&str> = stem.split('/').filter(|p| !p.is_empty()).collect();
    if parts.last() == Some(&"__init__") {
        parts.pop();
    }
    parts
}

/// An import as an absolute dotted path: relative ones (`..utils.x`) resolved against the
/// importing file's package.
fn absolute(path: &str, import: &str) -> Option<String> {
    let dots = import.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return Some(import.to_string());
    }
    let mut package: Vec<&str> = path.split('/').collect();
    package.pop(); // the file itself: its package is its directory
    for _ in 1..dots {
        package.pop()?;
    }
    let rest = &import[dots..];
    let mut dotted = package.join(".");
    if !rest.is_empty() {
        if !dotted.is_empty() {
            dotted.push('.');
        }
        dotted.push_str(rest);
    }
    (!dotted.is_empty()).then_some(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(items: &'a [(&'a str, Vec<String>)]) -> Vec<FileImports<'a>> {
        items
            .iter()
            .map(|(p, i)| FileImports {
                path: p,
                imports: i,
            })
            .collect()
    }

    #[test]
    fn reach_through_the_trees_own_modules() {
        let items = vec![
            ("src/app/models/net.py", vec!["torch".to_string()]),
            ("src/app/train.py", vec![".models.net.Net".to_string()]),
            ("src/app/cli.py", vec!["app.train.main".to_string()]),
            ("tools/other.py", vec!["cupy".to_string()]),
            ("tools/plain.py", vec![]),
        ];
        let f = files(&items);
        let g = ImportGraph::new(&f);
        let reach = g.reaching(&["torch".to_string()]);
        assert_eq!(reach, [true, true, true, false, false]);
    }

    #[test]
    fn relative_imports_resolve_against_the_package() {
        assert_eq!(absolute("a/b/c.py", ".d").as_deref(), Some("a.b.d"));
        assert_eq!(absolute("a/b/c.py", "..d.e").as_deref(), Some("a.d.e"));
        assert_eq!(absolute("a/b/__init__.py", ".d").as_deref(), Some("a.b.d"));
        assert_eq!(absolute("c.py", "...x"), None);
        assert_eq!(
            absolute("x.py", "torch.cuda").as_deref(),
            Some("torch.cuda")
        );
    }

    #[test]
    fn method_style_symbols() {
        assert!(is_method_style(".cuda()"));
        assert!(is_method_style("device=cuda"));
        assert!(is_method_style(".to(cuda|cpu)"));
        assert!(!is_method_style("torch.device(cuda)"));
        assert!(!is_method_style("torch.cuda.is_available"));
    }
}
