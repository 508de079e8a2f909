#!/usr/bin/python3
"""Validates tristate JSON output against one of the JSON Schemas in docs/.

usage: validate-json.py [--lines] SCHEMA FILE [FILE ...]
  --lines  each FILE is JSON Lines (tristate trace --json): every line is validated
  FILE     - reads standard input
Every *.schema.json beside SCHEMA is loaded too, so references between them
("report.schema.json#/$defs/event") resolve offline. Exit 0 when every document validates;
1 otherwise, printing each error with its JSON path; 2 on bad usage or unreadable input.
Works with python3-jsonschema 4.10 (Debian 12: RefResolver) and with 4.18+ (referencing).
"""
import glob
import json
import os
import sys

import jsonschema


def make_validator(schema_path):
    store = {}
    for path in glob.glob(os.path.join(os.path.dirname(os.path.abspath(schema_path)), "*.schema.json")):
        with open(path) as f:
            s = json.load(f)
        store[s.get("$id", path)] = s
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18
        registry = Registry().with_resources(
            (uri, Resource.from_contents(s)) for uri, s in store.items())
        return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)


def documents(path, lines):
    text = sys.stdin.read() if path == "-" else open(path).read()
    if not lines:
        yield path, json.loads(text)
        return
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield f"{path}:{n}", json.loads(line)


def main(argv):
    lines = "--lines" in argv
    args = [a for a in argv[1:] if a != "--lines"]
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    validator = make_validator(args[0])
    bad = count = 0
    for path in args[1:]:
        try:
            docs = list(documents(path, lines))
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        if not docs:
            print(f"{path}: no JSON document", file=sys.stderr)
            bad += 1
        for where, doc in docs:
            count += 1
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            for e in errors[:20]:
                at = "/".join(str(p) for p in e.absolute_path) or "(root)"
                print(f"{where}: {at}: {e.message}", file=sys.stderr)
            bad += 1 if errors else 0
    print(f"{count} document(s) checked against {os.path.basename(args[0])}: "
          f"{'all valid' if not bad else str(bad) + ' invalid'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
