#!/usr/bin/env python3
"""Benchmark harness: cuda-audit against ripgrep and ast-grep (and semgrep when installed).

    python3 bench/run.py [OPTIONS] DIR [DIR ...]

For each corpus directory, runs ripgrep searching a CUDA token alternation over the file kinds
cuda-audit reads, ast-grep scanning the same files with the 10 CUDA rules of bench/ast-grep/ (when
ast-grep is found), and cuda-audit on the same directory, interleaved, `--runs` times each (after
one warm-up run of each, so the page cache is warm), and prints one table row with the medians:
wall time, user+sys CPU time, CPU/wall and peak RSS (from /usr/bin/time), and cuda-audit's wall
time over ripgrep's (`×rg`) and over ast-grep's (`×ast-grep`).

Nothing is downloaded: the corpora are directories you already have (see bench/gen_corpus.py
for a synthetic one). The machine's load average is printed with the table, because other
processes on a small machine move every number.

Modes:
  (default)      a cold scan: `cuda-audit DIR -f FORMAT --no-progress --no-cache > /dev/null`
                 (`--no-cache` when the binary knows it) plus any `--ca-arg`s; the peer:
                 `ast-grep scan -c bench/ast-grep/sgconfig.yml --json=stream DIR > /dev/null`
                 (every match written, one JSON object a line).
  --rescan       also time re-scans with the result cache warm (binaries with a cache only), in a
                 temporary cache directory: "unchanged" (nothing changed since the last run:
                 the report is replayed) and "1 changed" (a copy of the corpus in a temporary
                 directory where one source file gets a new comment line before each run: every
                 other file's analysis comes from the cache, the report is rebuilt).
  --startup      time a 2-file repository (generated in a temporary directory), many runs.
  --exhaustive   also time `--exhaustive` (every fast path off), and compare the reports as
                 --compare-exhaustive does.
  --compare-exhaustive
                 run the fast path and `--exhaustive` once each per corpus with `-f json` (and the
                 `--ca-arg`s) and say whether the two JSON reports are byte-identical: a
                 "fast == exh." column, and a line per corpus "fast == exhaustive: yes (N findings)".

Options:
  --bin PATH       the cuda-audit binary (default: target/release/cuda-audit next to this script)
  --ast-grep PATH  the ast-grep binary (default: `ast-grep` or `sg` on PATH, if it is ast-grep)
  --no-ast-grep    leave ast-grep out even when it is installed
  --runs N         measured runs per tool and corpus (default 5)
  --format F       cuda-audit's report format in the timed runs: json (default), sarif, text, …
  --ca-arg ARG     extra argument for cuda-audit (repeatable)
  --json FILE      also write every measurement as JSON
  --markdown       print the table as Markdown (default: aligned text)
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# The token alternation ripgrep searches for: the kind of thing a grep-based audit would use.
RG_PATTERN = r"__global__|cuda[A-Z]|<<<|torch\.cuda|nccl"


def file_globs():
    """The file-name patterns cuda-audit reads, taken from the FILES table in src/lang/mod.rs so
    ripgrep searches the same files. Falls back to the source extensions if the table is missing."""
    path = os.path.join(REPO, "src", "lang", "mod.rs")
    try:
        text = open(path, encoding="utf-8").read()
        start = text.index("pub const FILES")
        end = text.index("];", start)
        globs = re.findall(r'\("([^"]+)",\s*Lang::', text[start:end])
        if globs:
            return globs
    except (OSError, ValueError):
        pass
    exts = "cu cuh c h cc cpp cxx hpp hh hxx inl py pyi ipynb rs".split()
    return ["*." + e for e in exts]


def time_cmd(cmd, cwd=None):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, max RSS MiB, exit code, stderr).
    Wall time is measured here (microsecond resolution; /usr/bin/time's is 10 ms, too coarse
    for ripgrep); CPU time and peak RSS come from /usr/bin/time."""
    import time

    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M"] + cmd
        t0 = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        line = open(tf.name).read().strip().splitlines()
        # /usr/bin/time writes "Command exited with non-zero status N" before the numbers.
        _, user, sys_, rss = line[-1].split()
        return wall, float(user) + float(sys_), int(rss) / 1024.0, proc.returncode, proc.stderr


def wall_clock(cmd, runs):
    """Median wall time in ms of a very short command, measured in-process (more precise than
    /usr/bin/time's 10 ms resolution)."""
    import time

    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def median_of(samples, i):
    return statistics.median(s[i] for s in samples)


def corpus_size(root, globs):
    """Files and bytes ripgrep would search (the same walk rules as cuda-audit, roughly)."""
    cmd = ["rg", "--files", "--no-messages"] + sum((["-g", g] for g in globs), []) + [root]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    files = [f for f in out.decode("utf-8", "replace").splitlines() if f]
    size = 0
    for f in files:
        try:
            size += os.path.getsize(f)
        except OSError:
            pass
    return len(files), size


# The 10-rule ast-grep project the peer row runs (see bench/ast-grep/sgconfig.yml).
AST_GREP_CONFIG = os.path.join(HERE, "ast-grep", "sgconfig.yml")


def ast_grep_version(path):
    """ast-grep's version line, or None when `path` is not ast-grep (`sg` is often shadow-utils'
    newgrp)."""
    try:
        out = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, timeout=10).stdout.decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.strip() if out.startswith("ast-grep") else None


def which_ast_grep():
    for name in ("ast-grep", "sg"):
        path = shutil.which(name)
        if path and ast_grep_version(path):
            return path
    return None


def ast_grep_cmd(binary, d):
    """ast-grep scanning `d` with the 10 CUDA rules, every match written (one JSON object a line)."""
    return [binary, "scan", "-c", AST_GREP_CONFIG, "--json=stream", d]


def count_lines(cmd):
    """Runs cmd, returns (exit code, lines on stdout, stderr), reading stdout in chunks."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        lines = 0
        while True:
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            lines += chunk.count(b"\n")
        code = proc.wait()
        err.seek(0)
        return code, lines, err.read()


def json_report(cmd, path):
    """Runs cuda-audit writing its JSON report to `path` (through stdout); returns the exit code,
    stderr and the report's finding count (summary.findings, read line by line: the report is
    pretty-printed, the summary's keys at 4 spaces)."""
    with open(path, "wb") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
    count = None
    pat = re.compile(rb'^    "findings": (\d+),?$')
    with open(path, "rb") as f:
        for line in f:
            m = pat.match(line.rstrip(b"\n"))
            if m:
                count = int(m.group(1))
    return proc.returncode, proc.stderr, count


def compare_exhaustive(ca_bin, ca_args, d):
    """The fast path's and `--exhaustive`'s JSON reports of `d`, compared byte for byte."""
    import filecmp

    with tempfile.TemporaryDirectory() as tmp:
        base = [ca_bin, "-f", "json", "--no-progress", "--no-cache"] + ca_args
        fast, exh = os.path.join(tmp, "fast.json"), os.path.join(tmp, "exhaustive.json")
        code_f, err_f, n = json_report(base + [d], fast)
        code_e, err_e, n_e = json_report(base + ["--exhaustive", d], exh)
        if code_f not in (0, 1) or code_e not in (0, 1):
            print(f"fast == exhaustive: cuda-audit failed on {d} (exit {code_f}/{code_e}): "
                  f"{(err_f or err_e).decode(errors='replace')[:300]}", file=sys.stderr)
            return {"identical": False, "findings": n, "findings_exhaustive": n_e, "error": True}
        same = filecmp.cmp(fast, exh, shallow=False)
        return {"identical": same, "findings": n, "findings_exhaustive": n_e,
                "bytes": os.path.getsize(fast), "bytes_exhaustive": os.path.getsize(exh)}


def ca_supports(binary, flag):
    out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return flag.encode() in out.stdout


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?", "?", "?"]


def make_two_file_repo(path):
    with open(os.path.join(path, "kernel.cu"), "w") as f:
        f.write("#include <cuda_runtime.h>\n__global__ void k(float *x) { x[threadIdx.x] = 0; }\n"
                "int main() { float *d; cudaMalloc(&d, 64); k<<<1, 16>>>(d); return 0; }\n")
    with open(os.path.join(path, "train.py"), "w") as f:
        f.write("import torch\nx = torch.zeros(3).cuda()\ntorch.cuda.synchronize()\n")


def rescan_one_changed(corpus, ca_base, runs):
    """Median of re-scans of a copy of `corpus` in which one C-family source file changes (a
    comment line appended) before each run: per-file results come from the cache, the report is
    rebuilt. The copy lives in a temporary directory and is removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache_dir:
        copy = os.path.join(tmp, os.path.basename(corpus.rstrip("/")))
        shutil.copytree(corpus, copy, symlinks=True, ignore_dangling_symlinks=True)
        # The first C-family file in path order that the scan reads: listed by ripgrep with the
        # ignore files applied as cuda-audit applies them (also outside a git repository), so the
        # victim is never a file a `.gitignore` hides (whose change would not be a change).
        listed = subprocess.run(["rg", "--files", "--no-require-git", "--no-messages", "-g",
                                 "*.{cu,cuh,cpp,cc,h,hpp}", copy],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        names = sorted(os.path.relpath(f, copy) for f in listed.decode("utf-8", "replace").splitlines() if f)
        victim = os.path.join(copy, names[0]) if names else None
        cmd = ca_base + ["--cache-dir", cache_dir, copy]
        time_cmd(cmd)  # fills the cache
        samples = []
        for i in range(runs):
            if victim:
                with open(victim, "a") as fh:
                    fh.write(f"\n// bench run {i}\n")
            samples.append(time_cmd(cmd)[:3])
        return {"wall": median_of(samples, 0), "cpu": median_of(samples, 1),
                "rss": median_of(samples, 2), "changed": os.path.relpath(victim, copy) if victim else None}


def stats(samples):
    return {"wall": median_of(samples, 0), "cpu": median_of(samples, 1), "rss": median_of(samples, 2),
            "samples": samples}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "cuda-audit"))
    ap.add_argument("--ast-grep", dest="ast_grep")
    ap.add_argument("--no-ast-grep", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--format", default="json")
    ap.add_argument("--ca-arg", action="append", default=[])
    ap.add_argument("--rescan", action="store_true")
    ap.add_argument("--startup", action="store_true")
    ap.add_argument("--exhaustive", action="store_true")
    ap.add_argument("--compare-exhaustive", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    if not shutil.which("rg"):
        sys.exit("ripgrep (rg) is required")
    if not os.path.exists(args.bin):
        sys.exit(f"no cuda-audit binary at {args.bin} (cargo build --release, or --bin)")
    if not args.dirs and not args.startup:
        ap.error("give corpus directories, or --startup")
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    globs = file_globs()
    rg_base = ["rg", "-c", "--no-messages", "-e", RG_PATTERN] + sum((["-g", g] for g in globs), [])
    has_cache = ca_supports(args.bin, "--no-cache")
    has_exhaustive = ca_supports(args.bin, "--exhaustive")
    # The report goes to standard output, discarded by the harness. (Not `-o /dev/null`: before the
    # fix to atomic writes, that replaced /dev/null with a regular file when run as root.)
    ca_base = [args.bin, "-f", args.format, "--no-progress"] + args.ca_arg
    cold_extra = ["--no-cache"] if has_cache else []
    compare = (args.exhaustive or args.compare_exhaustive) and has_exhaustive

    ast_grep = ag_version = None
    if args.ast_grep and not args.no_ast_grep:
        ag_version = ast_grep_version(args.ast_grep)
        if not ag_version:
            sys.exit(f"--ast-grep {args.ast_grep}: not an ast-grep binary")
        ast_grep = args.ast_grep
    elif not args.no_ast_grep:
        ast_grep = which_ast_grep()
        ag_version = ast_grep and ast_grep_version(ast_grep)
    semgrep = shutil.which("semgrep")

    columns = table_columns(args, ast_grep, semgrep, compare, has_exhaustive, has_cache)
    load_before = loadavg()
    results = []
    for d in args.dirs:
        d = os.path.abspath(d)
        files, size = corpus_size(d, globs)
        row = {"corpus": os.path.basename(d.rstrip("/")), "path": d, "files": files, "bytes": size}
        rg_cmd = rg_base + [d]
        ca_cmd = ca_base + cold_extra + [d]
        ex_cmd = ca_base + cold_extra + ["--exhaustive", d]
        ag_cmd = ast_grep_cmd(ast_grep, d) if ast_grep else None
        # Warm-up: page cache, and the binaries themselves.
        time_cmd(rg_cmd)
        _, _, _, code, err = time_cmd(ca_cmd)
        if code not in (0, 1):
            print(f"cuda-audit failed on {d} (exit {code}): {err.decode(errors='replace')[:500]}",
                  file=sys.stderr)
            continue
        if ag_cmd:
            code, matches, err = count_lines(ag_cmd)
            if code != 0:
                print(f"ast-grep failed on {d} (exit {code}): {err.decode(errors='replace')[:500]}",
                      file=sys.stderr)
                ag_cmd = None
            else:
                row["ast-grep_matches"] = matches
        # Interleaved, so that a change of load moves every tool's numbers alike.
        rg_s, ag_s, ca_s, ex_s = [], [], [], []
        for _ in range(args.runs):
            rg_s.append(time_cmd(rg_cmd)[:3])
            if ag_cmd:
                ag_s.append(time_cmd(ag_cmd)[:3])
            ca_s.append(time_cmd(ca_cmd)[:3])
            if args.exhaustive and has_exhaustive:
                ex_s.append(time_cmd(ex_cmd)[:3])
        row["rg"] = stats(rg_s)
        row["ca"] = stats(ca_s)
        row["ca"]["format"] = args.format
        row["ratio_rg"] = row["ca"]["wall"] / max(row["rg"]["wall"], 1e-4)
        if ag_s:
            row["ast-grep"] = stats(ag_s)
            row["ratio_ast_grep"] = row["ca"]["wall"] / max(row["ast-grep"]["wall"], 1e-4)
        if ex_s:
            row["exhaustive"] = stats(ex_s)
        if args.rescan and has_cache:
            with tempfile.TemporaryDirectory() as cache_dir:
                warm = ca_base + ["--cache-dir", cache_dir, d]
                time_cmd(warm)  # fills the cache
                re_s = [time_cmd(warm)[:3] for _ in range(args.runs)]
            row["rescan"] = stats(re_s)
            row["rescan1"] = rescan_one_changed(d, ca_base, args.runs)
        if compare:
            row["fast_eq_exhaustive"] = compare_exhaustive(args.bin, args.ca_arg, d)
        if semgrep:
            cmd = [semgrep, "--metrics=off", "--quiet", "-e", "cudaMalloc(...)", "--lang", "cpp", d]
            s = [time_cmd(cmd)[:3] for _ in range(max(1, args.runs // 2))]
            row["semgrep"] = {"wall": median_of(s, 0), "rss": median_of(s, 2)}
        results.append(row)
        print_row(row, columns, args.markdown, first=len(results) == 1)

    if compare and results:
        print()
        for row in results:
            c = row["fast_eq_exhaustive"]
            n = "?" if c.get("findings") is None else c["findings"]
            if c["identical"]:
                print(f"{row['corpus']}: fast == exhaustive: yes ({n} findings)")
            else:
                n_e = "?" if c.get("findings_exhaustive") is None else c["findings_exhaustive"]
                print(f"{row['corpus']}: fast == exhaustive: NO ({n} findings; exhaustive: {n_e})")

    startup = None
    if args.startup:
        with tempfile.TemporaryDirectory() as tmp:
            make_two_file_repo(tmp)
            runs = max(30, args.runs * 6)
            rg_ms = wall_clock(rg_base + [tmp], 5)  # warm-up
            ca_ms = wall_clock(ca_base + cold_extra + [tmp], 5)
            rg_ms = wall_clock(rg_base + [tmp], runs)
            ca_ms = wall_clock(ca_base + cold_extra + [tmp], runs)
            _, _, ca_rss, _, _ = time_cmd(ca_base + cold_extra + [tmp])
            startup = {"rg_ms": rg_ms, "ca_ms": ca_ms, "ratio": ca_ms / rg_ms, "ca_rss": ca_rss}
            line = (f"\nstart-up (2-file repository, median of {runs}): rg {rg_ms:.1f} ms, "
                    f"cuda-audit {ca_ms:.1f} ms, ×rg {ca_ms / rg_ms:.1f}")
            if ast_grep:
                ag = ast_grep_cmd(ast_grep, tmp)
                wall_clock(ag, 5)
                ag_ms = wall_clock(ag, runs)
                startup["ast_grep_ms"] = ag_ms
                startup["ratio_ast_grep"] = ca_ms / ag_ms
                line += f"; ast-grep {ag_ms:.1f} ms, ×ast-grep {ca_ms / ag_ms:.1f}"
            print(line + f"; peak {ca_rss:.0f} MiB")
            if has_cache:
                with tempfile.TemporaryDirectory() as cache_dir:
                    warm = ca_base + ["--cache-dir", cache_dir, tmp]
                    wall_clock(warm, 2)
                    warm_ms = wall_clock(warm, runs)
                startup["ca_warm_ms"] = warm_ms
                print(f"start-up, unchanged re-run: cuda-audit {warm_ms:.1f} ms, "
                      f"×rg {warm_ms / rg_ms:.1f}")

    load_after = loadavg()
    print(f"\nload average before: {' '.join(load_before)}, after: {' '.join(load_after)}; "
          f"{os.cpu_count()} CPUs; medians of {args.runs} runs; binary {args.bin}; "
          f"cuda-audit -f {args.format}")
    if ast_grep:
        print(f"ast-grep: {ast_grep} ({ag_version}), "
              f"rules {os.path.relpath(AST_GREP_CONFIG, os.getcwd())}")
    elif not args.no_ast_grep:
        print("ast-grep: not installed (skipped; --ast-grep PATH)")
    if not semgrep:
        print("semgrep: not installed (skipped)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": results, "startup": startup, "load_before": load_before,
                       "load_after": load_after, "runs": args.runs, "binary": args.bin,
                       "format": args.format, "ca_args": args.ca_arg,
                       "ast_grep": ast_grep and {"binary": ast_grep, "version": ag_version,
                                                 "config": AST_GREP_CONFIG},
                       "cpus": os.cpu_count()}, f, indent=1)


def table_columns(args, ast_grep, semgrep, compare, has_exhaustive, has_cache):
    """The table's columns, fixed for the whole run: (header, value of a row or None)."""

    def ratio(key, digits=0):
        def f(row):
            if key not in row:
                return None
            return f"{row[key]['wall'] / max(row['rg']['wall'], 1e-4):.{digits}f}x"
        return f

    def wall(key, digits=2):
        return lambda row: f"{row[key]['wall']:.{digits}f}" if key in row else None

    cols = [("corpus", lambda r: r["corpus"]),
            ("MB", lambda r: f"{r['bytes'] / 1e6:.1f}"),
            ("files", lambda r: str(r["files"])),
            ("rg s", wall("rg", 3))]
    if ast_grep:
        cols += [("ast-grep s", wall("ast-grep"))]
    cols += [("cuda-audit s", wall("ca")),
             ("×rg", lambda r: f"{r['ratio_rg']:.0f}x")]
    if ast_grep:
        cols += [("×ast-grep", lambda r: f"{r['ratio_ast_grep']:.1f}x" if "ratio_ast_grep" in r
                  else None)]
    cols += [("CPU/wall", lambda r: f"{r['ca']['cpu'] / max(r['ca']['wall'], 0.01):.2f}"),
             ("peak MiB", lambda r: f"{r['ca']['rss']:.0f}")]
    if ast_grep:
        cols += [("ast-grep CPU/wall", lambda r: f"{r['ast-grep']['cpu'] / max(r['ast-grep']['wall'], 0.01):.2f}"
                  if "ast-grep" in r else None),
                 ("ast-grep MiB", lambda r: f"{r['ast-grep']['rss']:.0f}" if "ast-grep" in r else None)]
    if args.exhaustive and has_exhaustive:
        cols += [("exhaustive s", wall("exhaustive")), ("exh. ×rg", ratio("exhaustive"))]
    if args.rescan and has_cache:
        cols += [("unchanged s", wall("rescan", 3)), ("unchanged ×rg", ratio("rescan", 1)),
                 ("1 changed s", wall("rescan1")), ("1 changed ×rg", ratio("rescan1", 1))]
    if compare:
        def eq(r):
            c = r.get("fast_eq_exhaustive")
            if not c:
                return None
            return "yes" if c["identical"] else "NO"
        cols += [("fast == exh.", eq)]
    if semgrep:
        cols += [("semgrep s", wall("semgrep"))]
    return cols


def print_row(row, columns, markdown, first):
    vals = []
    for _, f in columns:
        v = f(row)
        vals.append("–" if v is None else v)
    heads = [h for h, _ in columns]
    if markdown:
        if first:
            print("| " + " | ".join(heads) + " |")
            print("|" + "|".join(" --- " for _ in heads) + "|")
        print("| " + " | ".join(vals) + " |", flush=True)
    else:
        widths = [max(len(c), 12 if i == 0 else 8) for i, c in enumerate(heads)]
        if first:
            print("  ".join(c.ljust(w) for c, w in zip(heads, widths)))
        print("  ".join(v.ljust(w) for v, w in zip(vals, widths)), flush=True)


if __name__ == "__main__":
    main()
