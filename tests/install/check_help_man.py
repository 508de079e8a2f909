#!/usr/bin/env python3
"""The installed man pages say what --help says: one page per command listed by
`tristate help`, the same flags, each with its --help description.
   check_help_man.py TRISTATE MAN1_DIR"""
import gzip, os, re, subprocess, sys

exe, man_dir = sys.argv[1], sys.argv[2]
# CLI11 pads "  -k,--kernel SPEC=host" to 30 columns and writes the description after it, or
# on the next line when the names are longer
FLAG_LINE = re.compile(r"^  ((?:-\w|--[\w-]+)(?:,(?:-\w|--[\w-]+))*)(?: |$)")
DESC_COLUMN = 30
MAN_FLAG = re.compile(r"\\fB(\\-(?:\\-|\w)+)\\fR")


def help_of(*words):
    out = subprocess.run([exe, *words, "--help"], capture_output=True, text=True, check=True).stdout
    flags, commands, section = {}, [], None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\S.*:$", line):
            section = line
            continue
        m = FLAG_LINE.match(line)
        if m and section and section.startswith("Options"):
            if len(line) > DESC_COLUMN and line[DESC_COLUMN - 1] == " " and line[DESC_COLUMN] != " ":
                desc = line[DESC_COLUMN:]
            else:
                desc = lines[i + 1].strip() if i + 1 < len(lines) else ""
            for f in m.group(1).split(","):
                flags[f] = desc.strip()
        elif section and section.startswith("Subcommands") and re.match(r"^  [\w-]+", line):
            commands.append(line.split()[0])
    return flags, commands


def man_text(page):
    with gzip.open(os.path.join(man_dir, page), "rt") as f:
        text = f.read()
    flags = {f.replace("\\-", "-") for f in MAN_FLAG.findall(text)}
    plain = re.sub(r"\\f[BIR]", "", text).replace("\\-", "-").replace("\\e", "\\")
    return flags, plain, text


errors = []
top_flags, commands = help_of()
pages = sorted(p for p in os.listdir(man_dir) if p.endswith(".1.gz"))
want = ["tristate.1.gz"] + [f"tristate-{c}.1.gz" for c in commands]
if sorted(want) != pages:
    errors.append(f"pages {pages} but commands {commands}")
checks = [("tristate.1.gz", [()])]
for c in commands:
    _, nested = help_of(c)
    checks.append((f"tristate-{c}.1.gz", [(c,)] + [(c, n) for n in nested]))
for page, invocations in checks:
    if not os.path.exists(os.path.join(man_dir, page)):
        continue
    man_flags, plain, raw = man_text(page)
    help_flags = {}
    for words in invocations:
        help_flags.update(help_of(*words)[0])
    shown = set(help_flags) - {"-h", "--help"}
    if shown - man_flags:
        errors.append(f"{page}: flags in --help but not in the page: {sorted(shown - man_flags)}")
    # every option item of the page (.TP, then the flag names) is an option of --help
    items = set()
    for m in re.finditer(r"^\.TP\n(\\fB\\-.*)$", raw, re.M):
        items |= {f.replace("\\-", "-") for f in MAN_FLAG.findall(m.group(1))}
    if items - set(help_flags):
        errors.append(f"{page}: options in the page that --help does not have: {sorted(items - set(help_flags))}")
    for flag, desc in help_flags.items():
        first = re.split(r"\s{2,}|\n", desc)[0][:40]
        if flag not in ("-h", "--help") and first and first not in plain:
            errors.append(f"{page}: {flag}: '{first}' not in the page")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
print(f"{len(checks)} man pages agree with --help" if not errors else f"{len(errors)} differences")
sys.exit(1 if errors else 0)
