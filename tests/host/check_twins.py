#!/usr/bin/env python3
"""Every shipped quiz agrees, step by step, with its Python twin on the same (host) kernel.

Runs `tristate quiz --json` over QUIZ paths (default: every quizzes/*.quiz and the fixtures in
tests/host/twin_fixtures/), then each quiz's twin (bench/quiz_to_python.py --steps-json) as
Python's doctest runs it, in its own network namespace (`unshare --net`, lo up, the same port
range and listener as the runner), and requires for every example: the same line, the same
output or exception line, the same verdict. Exit 1 on any disagreement, 2 on bad usage.

    tests/host/check_twins.py --tristate build/tristate [QUIZ ...]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def python_steps(quiz, workdir):
    twin = os.path.join(workdir, os.path.basename(quiz) + ".twin.py")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "quiz_to_python.py"), quiz,
                    "-o", twin], check=True)
    out = subprocess.run(["unshare", "--net", "--", sys.executable, twin, "--steps-json"],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("twin of %s failed (%d): %s" % (quiz, out.returncode, out.stderr.strip()))
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tristate", required=True)
    ap.add_argument("quizzes", nargs="*")
    args = ap.parse_args()
    quizzes = args.quizzes or sorted(glob.glob(os.path.join(ROOT, "quizzes", "*.quiz")) +
                                     glob.glob(os.path.join(HERE, "twin_fixtures", "*")))
    if os.geteuid() != 0:
        print("check_twins: needs root (network namespaces for both runs)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        report_path = os.path.join(work, "report.json")
        run = subprocess.run([args.tristate, "quiz", "--no-trace", "-q", "--json", report_path] +
                             quizzes, capture_output=True, text=True, timeout=600)
        if not os.path.exists(report_path):
            print("tristate quiz wrote no report (exit %d): %s" % (run.returncode, run.stderr),
                  file=sys.stderr)
            return 1
        with open(report_path) as f:
            report = json.load(f)
        by_file = {q["file"]: q for q in report["quizzes"]}
        failures = 0
        steps = 0
        for quiz in quizzes:
            q = by_file.get(quiz)
            if q is None or q["status"] == "error":
                print("FAIL %s: tristate could not run it: %s" % (quiz, q and q.get("error")))
                failures += 1
                continue
            ours = {s["line"]: s for s in q["steps"]}
            theirs = {s["line"]: s for s in python_steps(quiz, work)}
            for line in sorted(set(ours) | set(theirs)):
                a, b = ours.get(line), theirs.get(line)
                steps += 1
                if a is None or b is None:
                    print("FAIL %s:%d: only %s has this step" % (quiz, line, "tristate" if a else "Python"))
                    failures += 1
                elif a["actual"].rstrip() != b["actual"].rstrip() or a["matched"] != b["matched"]:
                    print("FAIL %s:%d: %s\n  tristate: %r matched=%s\n  python:   %r matched=%s" % (
                        quiz, line, a["source"], a["actual"], a["matched"], b["actual"], b["matched"]))
                    failures += 1
        print("%d quizzes, %d steps compared, %d disagreements" % (len(quizzes), steps, failures))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
