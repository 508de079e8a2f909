#!/usr/bin/python3
"""Validates tristate report documents against docs/report.schema.json.

usage: validate-report.py SCHEMA REPORT.json [REPORT.json ...]
Exit 0 when every document validates; 1 otherwise, with each error's JSON path.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    bad = 0
    for path in argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print(f"{path}: {where}: {e.message}", file=sys.stderr)
        if errors:
            bad += 1
        else:
            steps = sum(len(q["steps"]) for q in doc["quizzes"])
            events = sum(len(s["events"]) for q in doc["quizzes"] for s in q["steps"])
            print(f"{path}: valid ({len(doc['quizzes'])} quizzes, {steps} steps, {events} events)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
