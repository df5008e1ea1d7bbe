# Prints, one per line, the completions zsh offers for the line $1 (the cursor at its end), with
# the completion functions of folder $2 on fpath: an interactive zsh in a zpty types the line and
# a Tab, and a compadd wrapper prints what would be offered.
#   zsh -f zsh_capture.zsh 's3up --checksum ' build/doc
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($2 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z "zstyle ':completion:*' list-separator ''"
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits == 0 )) && return 1
  print -rl -- "<h""it>"${^__hits}
  builtin compadd -Q -U "$@" 2>/dev/null || true
}'
zpty -w z 'comppostfuncs=(finish); finish() { print -r -- "<do""ne>"; exit }'
zpty -w z "bindkey '^I' complete-word; PS1=''"
zpty -n -w z "$1"$'\t'
while zpty -r z line; do
  [[ $line == *'<done>'* ]] && break
  [[ $line == *'<hit>'* ]] && print -r -- ${${line##*<hit>}%$'\r'}
  true
done
zpty -d z
