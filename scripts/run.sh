#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install, build, then run tristate.
# Without arguments: every quiz on this kernel, then the post's quizzes traced in a guest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/deps.sh"
"$here/scripts/build.sh"
bin=${BUILD_DIR:-$here/build}/tristate
if (($#)); then exec "$bin" "$@"; fi
"$bin" quiz || true   # some shipped quizzes may differ on this kernel: the report says which
