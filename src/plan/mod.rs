//! `cuda-audit plan`: a porting plan for one target, derived from an audit. The findings become
//! ordered steps a team can staff, each with its effort, files, counts, points and replacements:
//!
//! 1. **build** — the build system and dependencies (categories `build`, `dependency`,
//!    `container`), whatever their effort: the toolchain comes first;
//! 2. **renames** — every other finding whose effort on the target is `automatic` (hipify's
//!    renames on ROCm, with the command and the SARIF fixes);
//! 3. **library** — one step per library for the rest of the host code (library, runtime,
//!    driver and framework calls, headers) with its replacements: first the libraries a person
//!    ports (`manual`), costliest first;
//! 4. then the `rewrite` work: the libraries with no equivalent to port to, costliest first, and
//!    last **kernels** — kernels, device intrinsics and inline PTX that need a hand port or a
//!    rewrite.
//!
//! Points are the score model's ([`crate::score`]) with the audit's weights, split so that the
//! steps add up to the report's effort points for the target: every edit is charged to its
//! finding's step, and every decision (a distinct library, name and effort) to the first step, in
//! plan order, that meets it. Findings an existing port covers (a HIP shim, a ROCm branch, a
//! hipifying build, a Python device path) are counted apart, in `covered`; they are work only
//! where the report still charges them (a device path leaves routing the use through it, at
//! `automatic`). Findings that run unchanged are counted, not planned.
//!
//! What a static scan cannot judge is said in [`limits`]. Renderers: [`markdown`], [`json`],
//! [`html`].

pub mod html;
pub mod json;
mod limits;
pub mod markdown;

use crate::audit::Audit;
use crate::finding::{Finding, Layer};
use crate::hash::FastSet;
use crate::portability::{Effort, Target};
use crate::provenance::Provenance;
use crate::rule::Category;
use crate::score::ScoreWeights;
use std::collections::BTreeMap;

pub use limits::Limit;

/// The plan's output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Numbered steps with tables, for a document or an issue.
    Markdown,
    /// The plan as data (docs/plan.md).
    Json,
    /// One self-contained HTML page, in the style of the HTML report.
    Html,
}

impl PlanFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanFormat::Markdown => "markdown",
            PlanFormat::Json => "json",
            PlanFormat::Html => "html",
        }
    }
}

/// The porting plan for one target.
#[derive(Clone, Debug)]
pub struct Plan {
    pub target: Target,
    /// In plan order: build, renames, libraries (costliest first), kernels. Steps with neither
    /// work nor covered findings are left out.
    pub steps: Vec<Step>,
    pub totals: Totals,
    pub covered: Covered,
    /// What the plan cannot judge, in a fixed order.
    pub cannot_judge: Vec<Limit>,
    pub provenance: Option<Provenance>,
    /// The 0–100 score of the target's points (as the report shows it).
    pub score: f64,
}

/// What kind of work a step is; also its place in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    Build,
    Renames,
    Library,
    Kernels,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Build => "build",
            StepKind::Renames => "renames",
            StepKind::Library => "library",
            StepKind::Kernels => "kernels",
        }
    }
}

/// One step of the plan.
#[derive(Clone, Debug)]
pub struct Step {
    pub kind: StepKind,
    pub target: Target,
    /// The library of a [`StepKind::Library`] step.
    pub library: Option<String>,
    pub title: String,
    /// What the step is, in one sentence.
    pub summary: String,
    /// The dearest effort class among its findings (`none` when it has only covered findings).
    pub effort: Effort,
    /// Findings that need work on the target (effort above `none`).
    pub findings: usize,
    /// Those findings per effort class, indexed by [`Effort::index`].
    pub by_effort: [usize; 4],
    pub by_category: BTreeMap<Category, usize>,
    pub points: u64,
    /// Files with work in this step and their findings, sorted by path.
    pub files: Vec<(String, usize)>,
    /// What to use instead, per library and name; most used first.
    pub replacements: Vec<Replacement>,
    /// Findings of this step an existing port already covers (not counted as work, unless the
    /// report still charges them: see the module documentation).
    pub covered: usize,
    pub covered_by_layer: BTreeMap<Layer, usize>,
    /// The renames step on ROCm: how to run hipify.
    pub hipify: Option<Hipify>,
}

/// A CUDA name and what to use instead on the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub library: String,
    pub symbol: String,
    pub effort: Effort,
    /// From the rules' portability data; `None` when they know no replacement.
    pub replacement: Option<String>,
    pub findings: usize,
}

/// How the ROCm renames are made mechanically.
#[derive(Clone, Debug, Default)]
pub struct Hipify {
    /// C, C++ and CUDA files with renames: what hipify-perl / hipify-clang take.
    pub files: Vec<String>,
    /// Renames in other files (Python, build scripts …), to make by hand from the table.
    pub other_files: Vec<String>,
    /// Findings whose SARIF result carries a fix (a rename to one name).
    pub sarif_fixes: usize,
}

impl Hipify {
    /// The command for the files, one per line.
    pub fn command(files: &[String]) -> String {
        let mut cmd = String::from("hipify-perl -inplace -print-stats");
        for f in files {
            cmd.push_str(" \\\n  ");
            cmd.push_str(&shell_quote(f));
        }
        cmd
    }
}

/// A path as one shell word.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,=:@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The whole plan's numbers.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Findings that need work, over all steps.
    pub findings: usize,
    pub by_effort: [usize; 4],
    /// Files with work.
    pub files: usize,
    /// The steps' points added up: the report's effort points for the target.
    pub points: u64,
    /// Findings an existing port covers.
    pub covered: usize,
    /// Findings that run unchanged on the target without any port (effort `none`).
    pub unchanged: usize,
}

/// What existing ports already cover, for the whole tree.
#[derive(Clone, Debug, Default)]
pub struct Covered {
    pub findings: usize,
    pub by_layer: BTreeMap<Layer, usize>,
    pub files: usize,
    /// ROCm: the shim headers (path, names mapped).
    pub shim_files: Vec<(String, usize)>,
    /// ROCm: distinct CUDA names the shims do not map (they are work, in the steps).
    pub shim_gaps: usize,
    /// ROCm: the builds that hipify the project's sources (`setup.py:8 (CUDAExtension)`).
    pub rocm_builds: Vec<String>,
    /// ROCm: macros that select a ROCm build.
    pub rocm_macros: Vec<String>,
    /// ROCm: HIP source files (already ported, not counted as CUDA).
    pub hip_files: usize,
}

/// Categories of the build step.
pub(crate) fn is_build(c: Category) -> bool {
    matches!(
        c,
        Category::Build | Category::Dependency | Category::Container
    )
}

/// Categories of the kernels step (when not automatic).
pub(crate) fn is_device_code(c: Category) -> bool {
    matches!(
        c,
        Category::Kernel | Category::DeviceIntrinsic | Category::InlinePtx
    )
}

/// Whether an existing port covers `f` on `target`.
pub fn is_covered(f: &Finding, target: Target) -> bool {
    f.existing_port
        .as_ref()
        .is_some_and(|p| p.targets.contains(&target))
}

/// The step a finding belongs to, or `None` when it runs unchanged and no port covers it.
/// A covered finding whose effort the port lowered to `none` goes where its kind puts it:
/// build files to the build step, device code to the kernels step, the rest to the renames (a
/// shim or a ROCm branch maps names).
fn step_of(f: &Finding, target: Target) -> Option<(StepKind, Option<&str>)> {
    let effort = f.effort(target);
    let c = f.category;
    let kind = match effort {
        Effort::None if !is_covered(f, target) => return None,
        _ if is_build(c) => StepKind::Build,
        _ if is_device_code(c) && effort != Effort::Automatic => StepKind::Kernels,
        Effort::None | Effort::Automatic => StepKind::Renames,
        Effort::Manual | Effort::Rewrite => StepKind::Library,
    };
    let library = (kind == StepKind::Library).then_some(f.library.as_str());
    Some((kind, library))
}

/// One step's findings, before they are counted.
#[derive(Default)]
struct Bucket<'a> {
    work: Vec<&'a Finding>,
    covered: Vec<&'a Finding>,
}

impl Plan {
    /// The plan for `target` from `audit`, scored with the audit's weights.
    pub fn of(audit: &Audit, target: Target) -> Plan {
        let mut buckets: BTreeMap<(StepKind, Option<&str>), Bucket> = BTreeMap::new();
        let mut totals = Totals::default();
        for f in &audit.findings {
            match step_of(f, target) {
                None => totals.unchanged += 1,
                Some(key) => {
                    let bucket = buckets.entry(key).or_default();
                    if is_covered(f, target) {
                        bucket.covered.push(f);
                    }
                    if f.effort(target) > Effort::None {
                        bucket.work.push(f);
                    }
                }
            }
        }
        // Buckets come in the plan's order of kinds (build, renames, libraries, kernels); the
        // plan then orders the libraries by phase and points, which cannot change which step a
        // decision is charged to: a decision names its library, and no two library steps share
        // one.
        let mut decided: FastSet<(&str, &str, Effort)> = FastSet::default();
        let mut steps: Vec<Step> = buckets
            .into_iter()
            .map(|((kind, library), bucket)| {
                step(kind, library, &bucket, target, &audit.weights, &mut decided)
            })
            .collect();
        steps.sort_by(|a, b| {
            (a.phase(), a.kind)
                .cmp(&(b.phase(), b.kind))
                .then_with(|| b.points.cmp(&a.points))
                .then_with(|| a.library.cmp(&b.library))
        });
        let mut files: FastSet<&str> = FastSet::default();
        for f in &audit.findings {
            if f.effort(target) > Effort::None {
                files.insert(&f.path);
            }
        }
        totals.files = files.len();
        for s in &steps {
            totals.findings += s.findings;
            totals.points = totals.points.saturating_add(s.points);
            totals.covered += s.covered;
            for e in Effort::ALL {
                totals.by_effort[e.index()] += s.by_effort[e.index()];
            }
        }
        // A kind whose findings existing ports all cover is no work to staff: its coverage is
        // in the totals and the "already covered" section, not a step of zero findings.
        steps.retain(|s| s.findings > 0);
        Plan {
            target,
            covered: covered(audit, target),
            cannot_judge: limits::limits(audit, target),
            score: audit.weights.score(totals.points),
            steps,
            totals,
            provenance: audit.provenance.clone(),
        }
    }
}

/// Counts one bucket into a step, charging each decision not charged before.
fn step<'a>(
    kind: StepKind,
    library: Option<&str>,
    bucket: &Bucket<'a>,
    target: Target,
    weights: &ScoreWeights,
    decided: &mut FastSet<(&'a str, &'a str, Effort)>,
) -> Step {
    let mut by_effort = [0usize; 4];
    let mut by_category = BTreeMap::new();
    let mut points = 0u64;
    let mut files: BTreeMap<&str, usize> = BTreeMap::new();
    let mut replacements: BTreeMap<(&str, &str, Effort, Option<&str>), usize> = BTreeMap::new();
    for f in &bucket.work {
        let port = f.portability.get(target);
        let w = weights.class(port.effort);
        by_effort[port.effort.index()] += 1;
        *by_category.entry(f.category).or_default() += 1;
        *files.entry(&f.path).or_default() += 1;
        points = points.saturating_add(w.edit);
        if decided.insert((&f.library, &f.symbol, port.effort)) {
            points = points.saturating_add(w.decision);
        }
        *replacements
            .entry((
                &f.library,
                &f.symbol,
                port.effort,
                port.replacement.as_deref(),
            ))
            .or_default() += 1;
    }
    let mut replacements: Vec<Replacement> = replacements
        .into_iter()
        .map(
            |((library, symbol, effort, replacement), findings)| Replacement {
                library: library.to_string(),
                symbol: symbol.to_string(),
                effort,
                replacement: replacement.map(str::to_string),
                findings,
            },
        )
        .collect();
    replacements.sort_by(|a, b| {
        b.findings
            .cmp(&a.findings)
            .then_with(|| b.effort.cmp(&a.effort))
            .then_with(|| (&a.library, &a.symbol).cmp(&(&b.library, &b.symbol)))
    });
    let mut covered_by_layer = BTreeMap::new();
    for f in &bucket.covered {
        let layer = f.existing_port.as_ref().expect("covered").layer;
        *covered_by_layer.entry(layer).or_default() += 1;
    }
    let effort = Effort::ALL
        .into_iter()
        .rev()
        .find(|e| by_effort[e.index()] > 0)
        .unwrap_or(Effort::None);
    let hipify =
        (kind == StepKind::Renames && target == Target::Rocm).then(|| hipify(&bucket.work, &files));
    let (title, summary) = describe(kind, library, target, effort, str::to_string);
    Step {
        kind,
        target,
        library: library.map(str::to_string),
        title,
        summary,
        effort,
        findings: bucket.work.len(),
        by_effort,
        by_category,
        points,
        files: files.into_iter().map(|(p, n)| (p.to_string(), n)).collect(),
        replacements,
        covered: bucket.covered.len(),
        covered_by_layer,
        hipify,
    }
}

/// The ROCm renames step's hipify inputs: C-family files for the tool, the rest by hand.
fn hipify(work: &[&Finding], files: &BTreeMap<&str, usize>) -> Hipify {
    let mut h = Hipify::default();
    for &path in files.keys() {
        let c_family = crate::lang::Lang::detect(std::path::Path::new(path))
            .is_some_and(crate::lang::Lang::is_c_family);
        if c_family {
            h.files.push(path.to_string());
        } else {
            h.other_files.push(path.to_string());
        }
    }
    h.sarif_fixes = work
        .iter()
        .filter(|f| crate::report::sarif::rocm_rename(f).is_some())
        .count();
    h
}

/// A step's title and one-sentence description, the library name quoted by `quote`.
fn describe(
    kind: StepKind,
    library: Option<&str>,
    target: Target,
    effort: Effort,
    quote: impl Fn(&str) -> String,
) -> (String, String) {
    let name = crate::report::markdown::target_name(target);
    match kind {
        StepKind::Build => (
            "Build system and dependencies".into(),
            format!(
                "Build files, compiler flags, dependency manifests and container images: the {name} \
toolchain and libraries come first, so that the code ported next can be built."
            ),
        ),
        StepKind::Renames if target == Target::Rocm => (
            "Mechanical renames (hipify)".into(),
            "CUDA names with a one-to-one HIP name: run hipify, then review the diff.".into(),
        ),
        StepKind::Renames => (
            "Mechanical changes".into(),
            format!("Uses with a mechanical equivalent on {name}: change them as the table says."),
        ),
        StepKind::Library => {
            let library = quote(library.unwrap_or("?"));
            if effort == Effort::Rewrite {
                (
                    format!("Re-implement the {library} uses"),
                    format!(
                        "Uses of {library} with no equivalent to port to on {name}: re-implement \
them on what the table lists."
                    ),
                )
            } else {
                (
                    format!("Port the {library} uses"),
                    format!(
                        "Calls, types and headers of {library} that a person ports to the \
replacements listed."
                    ),
                )
            }
        }
        StepKind::Kernels => (
            "Kernels, intrinsics and inline PTX".into(),
            match target {
                Target::Rocm => "Device code HIP does not take as it is: warp-size assumptions, \
inline PTX, architecture checks and intrinsics without a HIP equivalent."
                    .into(),
                Target::Neuron => "CUDA kernels and device code: written anew as NKI kernels \
(@nki.jit) or expressed as framework operations."
                    .into(),
                Target::Tpu => "CUDA kernels and device code: written anew as Pallas kernels \
(pallas_call) or expressed as XLA operations."
                    .into(),
            },
        ),
    }
}

impl Step {
    /// The phase of the plan the step belongs to: 1 build, 2 renames, 3 libraries to port, 4 the
    /// rewrites (libraries with no equivalent, then device code).
    pub fn phase(&self) -> u8 {
        match self.kind {
            StepKind::Build => 1,
            StepKind::Renames => 2,
            StepKind::Library if self.effort < Effort::Rewrite => 3,
            StepKind::Library | StepKind::Kernels => 4,
        }
    }

    /// The title and description with the library name quoted by `quote` (a Markdown code span,
    /// escaped HTML).
    pub fn describe(&self, quote: impl Fn(&str) -> String) -> (String, String) {
        describe(
            self.kind,
            self.library.as_deref(),
            self.target,
            self.effort,
            quote,
        )
    }
}

/// What the existing ports cover for `target`, for the whole tree.
fn covered(audit: &Audit, target: Target) -> Covered {
    let mut c = Covered::default();
    let mut files: FastSet<&str> = FastSet::default();
    for f in audit.findings.iter().filter(|f| is_covered(f, target)) {
        let layer = f.existing_port.as_ref().expect("covered").layer;
        *c.by_layer.entry(layer).or_default() += 1;
        c.findings += 1;
        files.insert(&f.path);
    }
    c.files = files.len();
    if target == Target::Rocm {
        let r = &audit.existing_ports;
        c.shim_files = r
            .shim_files
            .iter()
            .map(|s| (s.path.clone(), s.entries))
            .collect();
        c.shim_gaps = r.shim_gaps.len();
        c.rocm_builds = r
            .rocm_builds
            .iter()
            .map(|b| format!("{} ({})", b.at, b.kind))
            .collect();
        c.rocm_macros = r.rocm_macros.clone();
        c.hip_files = audit.project.hip_files;
    }
    c
}

/// `n word` or `n words` (`libraries`, `launches`).
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        return format!("{n} {word}");
    }
    let vowel_y = ["ay", "ey", "oy", "uy"].iter().any(|e| word.ends_with(e));
    match word.strip_suffix('y') {
        Some(stem) if !vowel_y => format!("{n} {stem}ies"),
        _ if ["ch", "sh", "s", "x"].iter().any(|e| word.ends_with(e)) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}

/// A step's distinct replacements with their uses, most used first (ties by name): what a
/// library step moves to.
pub fn distinct_replacements(s: &Step) -> Vec<(&str, usize)> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &s.replacements {
        if let Some(rep) = &r.replacement {
            *uses.entry(rep).or_default() += r.findings;
        }
    }
    let mut list: Vec<(&str, usize)> = uses.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    list
}

/// Covered findings by layer, for people: `HIP shim: 9, ROCm branch: 2`.
pub(crate) fn layers_text(by_layer: &BTreeMap<Layer, usize>) -> String {
    by_layer
        .iter()
        .map(|(l, n)| format!("{}: {n}", layer_name(*l)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A layer as plans spell it for people.
pub fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Shim => "HIP shim",
        Layer::Guard => "ROCm branch",
        Layer::DevicePath => "device path",
        Layer::BuildTranslation => "hipifying build",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::tests_support::finding;
    use crate::portability::{Port, Portability};

    fn with(category: Category, effort: Effort) -> Finding {
        let mut f = finding("a.cu", 1);
        f.category = category;
        let port = Port {
            effort,
            replacement: None,
            note: None,
        };
        f.portability = Portability([port.clone(), port.clone(), port]).into();
        f
    }

    #[test]
    fn steps_follow_kind_then_effort() {
        let t = Target::Rocm;
        let kind = |c, e| step_of(&with(c, e), t).map(|(k, _)| k);
        assert_eq!(
            kind(Category::Build, Effort::Automatic),
            Some(StepKind::Build)
        );
        assert_eq!(
            kind(Category::Container, Effort::Rewrite),
            Some(StepKind::Build)
        );
        assert_eq!(
            kind(Category::Kernel, Effort::Automatic),
            Some(StepKind::Renames)
        );
        assert_eq!(
            kind(Category::Library, Effort::Rewrite),
            Some(StepKind::Library)
        );
        assert_eq!(
            kind(Category::Include, Effort::Manual),
            Some(StepKind::Library)
        );
        assert_eq!(
            kind(Category::RuntimeApi, Effort::Manual),
            Some(StepKind::Library)
        );
        assert_eq!(
            kind(Category::RuntimeApi, Effort::Rewrite),
            Some(StepKind::Library)
        );
        assert_eq!(
            kind(Category::DeviceIntrinsic, Effort::Rewrite),
            Some(StepKind::Kernels)
        );
        assert_eq!(
            kind(Category::InlinePtx, Effort::Manual),
            Some(StepKind::Kernels)
        );
        assert_eq!(kind(Category::Kernel, Effort::None), None);
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "library"), "1 library");
        assert_eq!(plural(2, "library"), "2 libraries");
        assert_eq!(plural(2, "launch"), "2 launches");
        assert_eq!(plural(0, "file"), "0 files");
        assert_eq!(plural(3, "key"), "3 keys");
    }

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell_quote("src/a-b_c.cu"), "src/a-b_c.cu");
        assert_eq!(shell_quote("my dir/a.cu"), "'my dir/a.cu'");
        assert_eq!(shell_quote("it's.cu"), "'it'\\''s.cu'");
        assert_eq!(shell_quote("$(rm -rf x).cu"), "'$(rm -rf x).cu'");
    }
}
