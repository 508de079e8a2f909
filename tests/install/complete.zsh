#!/usr/bin/zsh -f
# complete.zsh FPATH_DIR LINE: the candidates zsh's own completion system offers for the last
# word of LINE, as an interactive zsh would after TAB. The completion runs for real (compinit,
# the function from FPATH_DIR, _arguments/_describe); compadd is wrapped only to print the
# matches it is given after zsh's own matching against the word.
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
dir=$1 input=$2
zpty z zsh -f -i
# wait_for MARKER: read the shell's output until MARKER appears (the shell prints it), so
# nothing is typed while the previous command still runs (zle drops such type-ahead)
out=
wait_for() {
  local chunk n=0
  out=
  while (( n++ < 300 )); do
    if zpty -r -t z chunk; then
      out+=$chunk
      [[ $out == *"$1"* ]] && return 0
    else
      sleep 0.05
    fi
  done
  print -u2 "complete.zsh: no '$1' from zsh within 15 s; it printed:"; print -u2 -r -- "$out"
  exit 2
}
zpty -w z "PROMPT= RPROMPT= PS2=; unsetopt prompt_sp; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() { if [[ "${@[1,(i)(-|--)]} " == *-[OAD]\ * ]]; then builtin compadd "$@"; return; fi; local -a __h; builtin compadd -O __h "$@"; local x; for x in $__h; print -r -- "<H""IT>$x</H""IT>"; builtin compadd "$@"; }'
zpty -w z 'zstyle ":completion:*" list-prompt ""; zstyle ":completion:*" select-prompt ""; LISTMAX=100000; bindkey "^I" complete-word'
zpty -w z 'print -r -- "<READY"">"'
wait_for '<READY>'
zpty -w -n z "$input"$'\t'
zpty -w -n z $'\C-u'
zpty -w z 'print -r -- "<END"">"'
wait_for '<END>'
zpty -d z
print -r -- "$out" | grep -ao '<HIT>[^<]*</HIT>' | sed 's/<HIT>//; s/<\/HIT>//' | sort -u
