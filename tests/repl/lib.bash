# tests/repl/lib.bash: helpers for the REPL tests (sourced, not run).
# The REPL runs in a real pseudo-terminal: a tmux server of our own (-L), so
# a user's tmux is never touched. Checks poll capture-pane in a bounded loop
# until the expected text appears; nothing sleeps to synchronise.
LUNET=${LUNET:-$PWD/build/lunet}
SOCK="lunet-test-$$"
PANE="repl"
passed=0 failed=0
TMP=$(mktemp -d)
export LUNET_HISTORY="$TMP/history"

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() { tm kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# need cmd...: stops with one failure when a tool is missing.
need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null && continue
    echo "$c missing: run tools/deps.sh test"; echo "0 passed, 1 failed"; exit 1
  done
}
ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() {
  failed=$((failed + 1)); echo "not ok - $1"
  echo "---- screen:"; screen 2>&1 | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' | tail -n 25
  echo "----"
}
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1"; fi; }

# start "command": a fresh session running command in a 100x50 terminal.
# The pane stays after the command exits, to show its last words.
# Each start gets a new session before the old one goes, so the server
# (which exits with its last session) stays up.
nstart=0
start() {
  local old=$PANE
  nstart=$((nstart + 1))
  PANE="repl$nstart"
  tm new-session -d -s "$PANE" -x 100 -y 50 "$1; echo \"[exit \$?]\"; sleep 600"
  [ "$nstart" -gt 1 ] && tm kill-session -t "$old"
}
screen() { tm capture-pane -p -J -S - -t "$PANE"; }
# send "text": types text literally and presses Enter.
send() { tm send-keys -t "$PANE" -l "$1"; tm send-keys -t "$PANE" Enter; }
type_() { tm send-keys -t "$PANE" -l "$1"; }
key() { tm send-keys -t "$PANE" "$@"; }
# wait_for ERE [tenths]: 0 once a screen line matches, 1 after the timeout.
wait_for() {
  local i n=${2:-100} text
  for ((i = 0; i < n; i++)); do
    text=$(screen 2>/dev/null) || return 1 # the session is gone
    grep -Eq -- "$1" <<<"$text" && return 0
    sleep 0.1
  done
  return 1
}
# expect "name" ERE: one check that waits for ERE.
expect() { wait_for "$2"; check "$1" $?; }
summary() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; }
