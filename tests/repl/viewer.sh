#!/bin/bash
# The viewer from the REPL (under Xvfb): the window runs on its own thread,
# so the prompt stays usable, a loop typed at the prompt feeds the window,
# Ctrl-C still interrupts, and closing the window leaves the REPL running.
cd "$(dirname "$0")/../.." || exit 1
. tests/repl/lib.bash
need tmux Xvfb

# Xvfb runs beside tmux, not through xvfb-run inside the pane: Ctrl-C in
# the pane goes to the whole foreground group and would stop xvfb-run.
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$TMP/display" 2>/dev/null &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; cleanup' EXIT
for ((i = 0; i < 100; i++)); do [ -s "$TMP/display" ] && break; sleep 0.1; done
[ -s "$TMP/display" ]; check "Xvfb started" $?
# Under `make asan`, libdbus and the X stack leak at exit; the REPL's own
# leaks are checked by interactive.sh, which opens no window.
start "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  DISPLAY=:$(cat "$TMP/display") $LUNET"
expect "the REPL starts with a display" '^> $'
send 'b = lunet.Board() v = lunet.viewer.show(b, {title = "repl"})'
send 'v:is_open()'
expect "viewer.show returns at once with an open window" '^true$'
# Frames counted before the loop changes the board: the window must draw
# again after it (one that drew everything before the count was taken would
# otherwise leave nothing to wait for). Each answer has a line of its own.
send 'f0 = v:frames()'
send 'for s = 1, 300 do b:scalar("cost/run", s, 1 / s)'
send 'b:histogram("run/L1", s, lunet.randn(50)) end'
send '"prompt" .. "usable"'
expect "the prompt answers while the window is open" '^promptusable$'
send 't0 = lunet.clock() while v:frames() == f0 and lunet.clock() - t0 < 10 do end'
send '"redrawn: " .. tostring(v:frames() > f0)'
expect "the frame count answers" '^redrawn: (true|false)$'
screen | grep -q '^redrawn: true$'
check "the window draws what the loop logs" $?

send 'print("spinning") while true do b:scalar("cost/run", 1, 1) end'
if wait_for '^spinning$'; then
  key C-c
  expect "Ctrl-C interrupts a loop while the window is open" 'interrupted!$'
else
  bad "the loop started"
fi
type_ 'dropped'
wait_for '^> dropped$'
key C-c
expect "Ctrl-C at the prompt with the window open" '^> dropped\^C$'

send 'v:close()'
send 'v:is_open()'
expect "closing the window" '^false$'
send '"still" .. "here"'
expect "the REPL goes on after the window closed" '^stillhere$'
key C-d
expect "Ctrl-D exits cleanly" '^\[exit 0\]$'

summary
