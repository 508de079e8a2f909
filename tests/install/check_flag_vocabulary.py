#!/usr/bin/env python3
"""One flag, one meaning: walks every command's --help (nested commands too) and fails when a
flag means different things in two commands: a short flag paired with different long names,
a long flag with different short names, a switch in one command and a value in another, or
values of different kinds (FILE vs TEXT). Short flags shared with bcc's tools (bindsnoop)
must mean what they mean there.
   check_flag_vocabulary.py TRISTATE"""
import collections, re, subprocess, sys

exe = sys.argv[1]
NAME = re.compile(r"^  ((?:-\w|--[\w-]+)(?:,(?:-\w|--[\w-]+))*)(?: (\S+))?")
# bcc libbpf-tools / the tools users already know
KNOWN = {"-p": "--pid", "-P": "--port", "-c": "--cgroup", "-x": "--failed-only", "-h": "--help",
         "-v": "--verbose", "-V": "--version", "-q": "--quiet", "-k": "--kernel", "-j": "--jobs"}


def parse(words):
    out = subprocess.run([exe, *words, "--help"], capture_output=True, text=True, check=True).stdout
    flags, commands, section = [], [], None
    for line in out.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line
            continue
        if section == "Options:":
            m = NAME.match(line)
            if m:
                names = m.group(1).split(",")
                kind = None
                if m.group(2):
                    kind = re.split(r"[:= ]", m.group(2))[0]
                flags.append((names, kind))
        elif section == "Subcommands:" and re.match(r"^  [\w-]+", line):
            commands.append(line.split()[0])
    return flags, commands


seen = collections.defaultdict(list)  # flag -> [(command, names, kind)]
todo, walked = [()], 0
while todo:
    words = todo.pop()
    flags, commands = parse(words)
    walked += 1
    where = " ".join(("tristate",) + words)
    for names, kind in flags:
        for n in names:
            seen[n].append((where, tuple(sorted(names)), kind))
    todo += [words + (c,) for c in commands if c not in ("help",) or words]
errors = []
for flag, uses in sorted(seen.items()):
    if len({u[1] for u in uses}) > 1:
        errors.append(f"{flag} goes with different names: " + "; ".join(f"{w}: {','.join(n)}" for w, n, _ in uses))
    if len({u[2] for u in uses}) > 1:
        errors.append(f"{flag} takes different values: " + "; ".join(f"{w}: {k or 'switch'}" for w, _, k in uses))
    if flag in KNOWN:
        for w, names, _ in uses:
            if KNOWN[flag] not in names:
                errors.append(f"{w}: {flag} is {','.join(names)}, but {flag} means {KNOWN[flag]} (bcc tools)")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
print(f"{walked} commands, {len(seen)} flags: " + ("one meaning each" if not errors else f"{len(errors)} conflicts"))
sys.exit(1 if errors else 0)
