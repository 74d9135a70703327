//! The score rules of docs/scoring.md, as properties over random finding sets (a fixed-seed
//! generator, so a failure reproduces), over the real findings of fixtures/demo, and the worked
//! example's numbers exactly as the doc gives them.

use crate::common::{Rng, audit_fixture, builtin_rules};
use cuda_audit::breakdown::Breakdown;
use cuda_audit::finding::Finding;
use cuda_audit::portability::{Effort, Port, Portability, Target};
use cuda_audit::score::{ClassWeights, ScoreWeights, TargetScore, score_findings};
use cuda_audit::summary::Summary;
use cuda_audit::{Settings, audit};
use std::sync::OnceLock;

fn effort(rng: &mut Rng) -> Effort {
    Effort::ALL[rng.below(4)]
}

const ITERATIONS: usize = 400;
const LIBRARIES: [&str; 4] = ["cudart", "cudnn", "cuda", "cublas"];
const SYMBOLS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
const DIRS: [&str; 4] = ["src/a", "src/b", "lib", "."];

/// A real finding to clone, so these tests do not break when `Finding` gains a field.
fn template() -> &'static Finding {
    static T: OnceLock<Finding> = OnceLock::new();
    T.get_or_init(|| audit_fixture("scoring/worked").findings[0].clone())
}

fn port(effort: Effort) -> Port {
    Port {
        effort,
        replacement: None,
        note: None,
    }
}

/// A random finding. Efforts are random per finding (not per symbol), which is harsher on the
/// model than real rules, where a symbol's effort is fixed.
fn finding(rng: &mut Rng) -> Finding {
    let mut f = template().clone();
    f.library = LIBRARIES[rng.below(LIBRARIES.len())].into();
    f.symbol = SYMBOLS[rng.below(SYMBOLS.len())].into();
    let dir = DIRS[rng.below(DIRS.len())];
    f.path = format!("{dir}/f{}.cu", rng.below(3));
    f.start.line = 1 + rng.below(100);
    f.portability = Portability([port(effort(rng)), port(effort(rng)), port(effort(rng))]).into();
    f
}

fn findings(rng: &mut Rng, max: usize) -> Vec<Finding> {
    let n = rng.below(max + 1);
    (0..n).map(|_| finding(rng)).collect()
}

/// Random non-negative weights: the properties must hold for any configuration, not just the
/// defaults.
fn weights(rng: &mut Rng) -> ScoreWeights {
    if rng.below(3) == 0 {
        return ScoreWeights::default();
    }
    let mut class = || ClassWeights {
        decision: rng.next() % 200,
        edit: rng.next() % 50,
    };
    ScoreWeights {
        automatic: class(),
        manual: class(),
        rewrite: class(),
        scale: rng.next() % 5000,
    }
}

fn scores(f: &[Finding], w: &ScoreWeights) -> Vec<TargetScore> {
    score_findings(f, &Target::ALL, w)
}

#[test]
fn adding_coupling_never_improves_a_score() {
    let mut rng = Rng(0x5EED_0001);
    for _ in 0..ITERATIONS {
        let w = weights(&mut rng);
        let before = findings(&mut rng, 60);
        let mut after = before.clone();
        after.extend(findings(&mut rng, 20));
        for (b, a) in scores(&before, &w).iter().zip(&scores(&after, &w)) {
            assert!(a.points() >= b.points(), "{b:?} → {a:?}");
            assert!(a.score <= b.score, "{b:?} → {a:?}");
        }
    }
}

#[test]
fn removing_coupling_never_worsens_a_score() {
    let mut rng = Rng(0x5EED_0002);
    for _ in 0..ITERATIONS {
        let w = weights(&mut rng);
        let before = findings(&mut rng, 60);
        let after: Vec<Finding> = before
            .iter()
            .filter(|_| rng.below(3) != 0)
            .cloned()
            .collect();
        for (b, a) in scores(&before, &w).iter().zip(&scores(&after, &w)) {
            assert!(a.points() <= b.points(), "{b:?} → {a:?}");
            assert!(a.score >= b.score, "{b:?} → {a:?}");
        }
    }
}

#[test]
fn none_findings_cost_nothing() {
    let mut rng = Rng(0x5EED_0003);
    for _ in 0..ITERATIONS {
        let w = weights(&mut rng);
        let base = findings(&mut rng, 40);
        for t in Target::ALL {
            let mut more = base.clone();
            for _ in 0..1 + rng.below(10) {
                let mut f = finding(&mut rng);
                std::sync::Arc::make_mut(&mut f.portability).0[t.index()] = port(Effort::None);
                more.push(f);
            }
            let before = &scores(&base, &w)[t.index()];
            let after = &scores(&more, &w)[t.index()];
            assert_eq!(before.points(), after.points());
            assert_eq!(before.score, after.score);
        }
    }
}

#[test]
fn the_score_depends_on_the_findings_not_their_order() {
    let mut rng = Rng(0x5EED_0004);
    for _ in 0..ITERATIONS {
        let w = weights(&mut rng);
        let list = findings(&mut rng, 60);
        let mut shuffled = list.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        assert_eq!(scores(&list, &w), scores(&shuffled, &w));
    }
}

#[test]
fn scores_are_bounded_and_100_only_without_work() {
    let mut rng = Rng(0x5EED_0005);
    let w = ScoreWeights::default();
    for _ in 0..ITERATIONS {
        let list = findings(&mut rng, 30);
        for s in scores(&list, &w) {
            assert!((0.0..=100.0).contains(&s.score));
            let all_none = list.iter().all(|f| f.effort(s.target) == Effort::None);
            assert_eq!(s.points() == 0, all_none);
            assert_eq!(s.score == 100.0, all_none, "{s:?}");
        }
    }
    assert!(scores(&[], &w).iter().all(|s| s.score == 100.0));
}

#[test]
fn a_decision_is_paid_once_and_an_edit_per_site() {
    let w = ScoreWeights::default();
    let mut f = template().clone();
    f.portability = Portability([
        port(Effort::Automatic),
        port(Effort::Rewrite),
        port(Effort::Manual),
    ])
    .into();
    let many: Vec<Finding> = (0..300).map(|_| f.clone()).collect();
    let s = scores(&many, &w);
    assert_eq!(s[0].cost.decision_points, 10);
    assert_eq!(s[0].cost.edit_points, 300);
    assert_eq!(s[1].points(), 250 + 300 * 50);
    assert_eq!(s[2].points(), 50 + 300 * 10);
}

#[test]
fn groups_follow_the_same_rules() {
    // A directory's score is its findings' score: adding coupling anywhere never improves any
    // directory, and the root is the whole tree.
    let mut rng = Rng(0x5EED_0006);
    let w = ScoreWeights::default();
    for _ in 0..100 {
        let before = findings(&mut rng, 40);
        let mut after = before.clone();
        after.extend(findings(&mut rng, 10));
        let b = Breakdown::of(&before, &Target::ALL, &w);
        let a = Breakdown::of(&after, &Target::ALL, &w);
        for g in &b.directories {
            let g2 = a.directories.iter().find(|x| x.key == g.key).unwrap();
            for (x, y) in g.targets.iter().zip(&g2.targets) {
                assert!(y.score <= x.score);
            }
        }
        if let Some(root) = a.directories.iter().find(|g| g.key == ".") {
            assert_eq!(root.targets, scores(&after, &w));
        }
    }
}

#[test]
fn demo_removing_any_library_never_worsens_and_libraries_add_up() {
    let audit = audit_fixture("demo");
    let w = ScoreWeights::default();
    let whole = scores(&audit.findings, &w);
    let summary = Summary::of(&audit);
    for lib in &summary.breakdown.libraries {
        let rest: Vec<Finding> = audit
            .findings
            .iter()
            .filter(|f| f.library != lib.key)
            .cloned()
            .collect();
        for (a, b) in whole.iter().zip(&scores(&rest, &w)) {
            assert!(
                b.score >= a.score,
                "removing {} worsened {:?}",
                lib.key,
                a.target
            );
        }
    }
    for (i, s) in whole.iter().enumerate() {
        let sum: u64 = summary
            .breakdown
            .libraries
            .iter()
            .map(|g| g.targets[i].points())
            .sum();
        assert_eq!(sum, s.points(), "library points add up on {:?}", s.target);
    }
}

#[test]
fn the_same_tree_gives_the_same_score_whatever_the_threads() {
    let root = crate::common::repo_root().join("fixtures");
    let run = |threads: usize| {
        let mut settings = Settings::new(&root, vec![root.join("demo")], builtin_rules());
        settings.walk.threads = threads;
        let a = audit(&settings).expect("audit succeeds");
        Summary::of(&a).scores
    };
    assert_eq!(run(1), run(8));
}

/// The numbers docs/scoring.md gives for its worked example.
#[test]
fn worked_example_matches_the_doc() {
    let audit = audit_fixture("scoring/worked");
    let s = Summary::of(&audit);
    assert_eq!(s.findings, 23);
    let rocm = s.score(Target::Rocm).unwrap();
    assert_eq!(rocm.cost.counts, [5, 16, 1, 1]);
    assert_eq!(rocm.cost.distinct, [4, 8, 1, 1]);
    assert_eq!(
        (rocm.cost.decision_points, rocm.cost.edit_points),
        (380, 76)
    );
    assert_eq!((rocm.points(), rocm.score), (456, 95.6));
    for t in [Target::Neuron, Target::Tpu] {
        let ts = s.score(t).unwrap();
        assert_eq!(ts.cost.counts, [0, 0, 0, 23]);
        assert_eq!(ts.cost.distinct[Effort::Rewrite.index()], 14);
        assert_eq!((ts.points(), ts.score), (4650, 68.3));
    }
    let blockers = |t: Target| &s.blockers.iter().find(|(x, _)| *x == t).unwrap().1;
    let rocm_blockers = blockers(Target::Rocm);
    assert_eq!(rocm_blockers.len(), 1);
    assert_eq!(
        (
            rocm_blockers[0].library.as_str(),
            rocm_blockers[0].symbols[0].symbol.as_str()
        ),
        ("cuda", "asm")
    );
    assert_eq!(rocm_blockers[0].points, 300);
    let neuron = &blockers(Target::Neuron)[0];
    assert_eq!(
        (
            neuron.library.as_str(),
            neuron.symbols.len(),
            neuron.occurrences,
            neuron.points
        ),
        ("cudart", 6, 14, 2200)
    );
    // 300 cudaMalloc calls instead of 3: 297 more edits, no new decision.
    let mut more = audit.findings.clone();
    let malloc = more
        .iter()
        .find(|f| f.symbol == "cudaMalloc")
        .unwrap()
        .clone();
    more.extend(std::iter::repeat_n(malloc, 297));
    let w = ScoreWeights::default();
    let m = scores(&more, &w);
    assert_eq!((m[0].points(), m[0].score), (753, 93.0));
    assert_eq!((m[1].points(), m[1].score), (19500, 33.9));
}

#[test]
fn explain_scoring_prints_the_model_and_weights() {
    let out = crate::common::run_in(&crate::common::repo_root(), &["explain", "--scoring"]);
    assert_eq!(out.status.code(), Some(0));
    let text = crate::common::stdout(&out);
    let words: Vec<&str> = text.split_whitespace().collect();
    let has = |seq: &[&str]| words.windows(seq.len()).any(|w| w == seq);
    assert!(has(&["decision", "edit"]), "{text}");
    assert!(has(&["automatic", "10", "1"]), "{text}");
    assert!(has(&["manual", "50", "10"]), "{text}");
    assert!(has(&["rewrite", "250", "50"]), "{text}");
    assert!(has(&["scale", "10000"]), "{text}");
    let out = crate::common::run_in(&crate::common::repo_root(), &["explain"]);
    assert_eq!(out.status.code(), Some(2));
}
