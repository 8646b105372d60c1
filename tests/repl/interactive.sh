#!/bin/bash
# The REPL on a terminal (tmux): results, multi-line input, errors, Tab
# completion, tensors, history, Ctrl-C and Ctrl-D.
cd "$(dirname "$0")/../.." || exit 1
. tests/repl/lib.bash
need tmux

start "$LUNET"
expect "banner and prompt" '^> $'

send '6*7'
expect "an expression prints its value" '^42$'

send '0/0, 1'
expect "NaN shows as nan, as PyTorch (Lua's %.14g says -nan)" '^nan +1$'

send '1, "two", {3, x = {y = true}}'
expect "several values, a nested table" '^1 +two +\{3, x = \{y = true\}\}$'

send 'for i = 1, 3 do'
expect "an open block asks for more" '^>> $'
send 'print("row" .. i)'
send 'end'
expect "a multi-line for block runs once complete" '^row3$'
screen | grep -Eq '^row1$' && screen | grep -Eq '^row2$'
check "every iteration printed" $?

send 'error("boom")'
expect "an error prints a short message" '^stdin:1: boom$'
screen | grep -q 'stack traceback' && r=1 || r=0
check "no traceback unless asked" $r
send '"after" .. "error"'
expect "the line after an error works" '^aftererror$'
send ':tb'
expect ":tb shows the traceback of the last error" "in function 'error'"

type_ 'lunet.Lin'
key Tab
expect "Tab completes lunet.Lin to lunet.Linear" '^> lunet\.Linear$'
send '(3, 4)'
expect "the completed call runs" '^Linear\(3 -> 4\)$'

send 'x = lunet.ones(2, 3)'
type_ 'x:num'
key Tab
expect "Tab completes the method x:num to x:numel" '^> x:numel$'
send '()'
expect "the completed method runs" '^6$'

send 'x'
expect "a tensor prints with its shape" '2x3'
screen | grep -Eq '^ +1 +1 +1$'
check "a small tensor prints every value" $?

send 'big = lunet.zeros(1000, 1000) big:set(1000, 1000, 7)'
send 'big'
expect "a 1000x1000 tensor prints with its shape" '1000x1000'
lines=$(screen | sed -n '/^> big$/,/1000x1000/p' | wc -l)
[ "$lines" -gt 2 ] && [ "$lines" -lt 20 ]
check "a 1000x1000 tensor prints a summary ($lines lines)" $?
screen | sed -n '/^> big$/,/1000x1000/p' | grep -Eq '\.\.\. .* 7(\.0+)?$'
check "the summary shows the last row" $?

send 'help(lunet.Linear)'
expect "help(lunet.Linear) prints the signature" '^lunet\.Linear\(in, out \[, opts\]\)$'

send 'print("spinning") while true do end'
if wait_for '^spinning$'; then
  key C-c
  expect "Ctrl-C interrupts while true do end" 'interrupted!$'
else
  bad "the endless loop started"
fi
send '"alive" .. 1'
expect "the prompt works after Ctrl-C" '^alive1$'

type_ 'half typed'
wait_for '^> half typed$'
key C-c
expect "Ctrl-C at the prompt drops the line" '^> half typed\^C$'
send '"fresh" .. 2'
expect "and gives a fresh prompt" '^fresh2$'

grep -qx '6\*7' "$LUNET_HISTORY"
check "history file has the expression" $?
# the three lines of the for block are one entry: no timestamp between them
grep -A2 -x 'for i = 1, 3 do' "$LUNET_HISTORY" | tr '\n' '|' |
  grep -q '^for i = 1, 3 do|print("row" .. i)|end|$'
check "a multi-line block is one history entry" $?
grep -q 'half typed' "$LUNET_HISTORY" && r=1 || r=0
check "an interrupted line is not in the history" $r

key C-d
expect "Ctrl-D exits with status 0" '^\[exit 0\]$'

# History is read back: Up recalls the last statement of the last session.
start "$LUNET"
wait_for '^> $'
key Up
expect "Up recalls the previous session's last entry" '^> "fresh" \.\. 2$'
key C-u
send 'os.exit(3)'
expect "os.exit leaves with its status" '^\[exit 3\]$'

# -i: the script runs, then the prompt stays with its globals.
printf 'greeting = "hi from script"\nprint("script ran", ...)\n' >"$TMP/s.lua"
start "$LUNET -i $TMP/s.lua a1"
expect "-i runs the script with its arguments" '^script ran +a1$'
send 'greeting'
expect "-i keeps the script's globals at the prompt" '^hi from script$'
key C-d
expect "-i exits on Ctrl-D" '^\[exit 0\]$'

summary
