#!/usr/bin/env bash
# The installed completions work: bash's offers commands, flags, quiz names and kernel
# series; zsh's parses.   check_completion.sh ROOT (a DESTDIR with usr/bin/tristate)
set -euo pipefail
root=$1
export PATH=$root/usr/bin:$PATH
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck disable=SC1091
source "$root/usr/share/bash-completion/completions/tristate"
complete_words() {  # complete_words WORD… : COMPREPLY for the last word
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _tristate
  printf '%s\n' "${COMPREPLY[@]}"
}
complete_words tristate qu | grep -qx quiz || fail "bash: 'tristate qu' does not offer quiz"
complete_words tristate quiz --gu | grep -qx -- --guest-timeout || fail "bash: quiz --gu"
complete_words tristate quiz post-3 | grep -qx post-3 || fail "bash: quiz names"
complete_words tristate quiz -k 6. | grep -qx 6.12 || fail "bash: -k series"
complete_words tristate --color a | grep -qx auto || fail "bash: --color values"
complete_words tristate kernels b | grep -qx boot || fail "bash: kernels nested commands"
complete_words tristate kernels boot --ti | grep -qx -- --timeout || fail "bash: kernels boot flags"
complete_words tristate ports --d | grep -qx -- --dest || fail "bash: ports flags"
if complete_words tristate trace -- cu | grep -q .; then fail "bash: completes after --"; fi
echo "bash completion: ok"
command -v zsh >/dev/null || fail "zsh is not installed (scripts/deps.sh test installs it)"
zsh -n "$root/usr/share/zsh/vendor-completions/_tristate" || fail "zsh: _tristate does not parse"
echo "zsh completion: parses"
