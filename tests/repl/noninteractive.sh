#!/bin/bash
# lunet without a terminal: scripts, -e, -i, -, arguments, -v, -h, exit
# statuses, and no prompt or escape code when stdin is not a terminal.
cd "$(dirname "$0")/../.." || exit 1
LUNET=${LUNET:-$PWD/build/lunet}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LUNET_HISTORY="$TMP/history"
passed=0 failed=0
check() {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1"
  else failed=$((failed + 1)); echo "not ok - $1"; fi
}
# same "name" "expected" "actual"
same() {
  [ "$2" = "$3" ]; local r=$?
  check "$1" $r
  [ $r = 0 ] || printf '  expected: %q\n  got:      %q\n' "$2" "$3"
}

out=$("$LUNET" -e 'print(collectgarbage("incremental"))')
same "lunet runs Lua's incremental collector (big tensor temporaries die young)" \
  incremental "$out"

out=$(echo 'print(1+1)' | "$LUNET" -)
same "echo 'print(1+1)' | lunet - prints just 2" "2" "$out"
out=$(echo 'print(1+1)' | "$LUNET")
same "without arguments, piped stdin runs as a script (like lua)" "2" "$out"
echo '1+1' | "$LUNET" >/dev/null 2>"$TMP/err"
same "a bare expression on piped stdin is a syntax error (exit 1), as with lua -" 1 $?
grep -q "unexpected symbol" "$TMP/err"
check "  ...reported as one" $?

printf 'x = 5\nx * 2\nfor i = 1, 2 do\nprint("i" .. i)\nend\n' | "$LUNET" -i >"$TMP/out" 2>&1
same "-i with piped stdin: results only, no prompt" "$(printf '10\ni1\ni2')" "$(cat "$TMP/out")"
grep -q $'\033' "$TMP/out" && r=1 || r=0
check "no escape codes without a terminal" $r
[ ! -s "$LUNET_HISTORY" ]
check "no history is written without a terminal" $?

# `::name::` is a Lua label, not a REPL command
printf '::top:: n = (n or 0) + 1 if n < 3 then goto top end print(n)\n' |
  "$LUNET" -i >"$TMP/out" 2>"$TMP/err"
same "a line starting with a label runs as Lua" "3" "$(cat "$TMP/out" "$TMP/err")"

printf 'error("bad")\nprint("still here")\n' | "$LUNET" -i >"$TMP/out" 2>"$TMP/err"
same "an error at the piped prompt does not stop the session" "still here" "$(cat "$TMP/out")"
same "  ...and is one short line on stderr" "stdin:1: bad" "$(cat "$TMP/err")"

same "-e runs code" "42" "$("$LUNET" -e 'print(6*7)')"
same "-e twice, in order" "1
2" "$("$LUNET" -e 'print(1)' -e 'print(2)')"
"$LUNET" -e 'error("oops")' 2>"$TMP/err"
same "-e with an error exits 1" 1 $?
grep -q '(command line):1: oops' "$TMP/err"
check "  ...naming the command line" $?

cat >"$TMP/args.lua" <<'LUA'
local name = arg[0]:match("[^/]*$")
print(name, arg[1], arg[2], #arg, select("#", ...))
print(arg[-1] ~= nil, lunet == require("lunet"), type(lunet.zeros))
LUA
out=$("$LUNET" "$TMP/args.lua" a "b c")
same "script arguments in arg and ..., lunet preloaded and required" \
  "$(printf 'args.lua\ta\tb c\t2\t2\ntrue\ttrue\tfunction')" "$out"
out=$(echo 'print(...)' | "$LUNET" - x y)
same "- takes arguments too" "$(printf 'x\ty')" "$out"

printf 'local t = {}\nt.x.y = 1\n' >"$TMP/fail.lua"
"$LUNET" "$TMP/fail.lua" 2>"$TMP/err"
same "a failing script exits 1" 1 $?
grep -q "fail.lua:2: attempt to index a nil value" "$TMP/err"
check "  ...with its message" $?
grep -q "stack traceback:" "$TMP/err"
check "  ...and a traceback" $?
"$LUNET" "$TMP/missing.lua" 2>"$TMP/err"
same "a missing script exits 1" 1 $?
printf 'os.exit(7)\n' >"$TMP/exit.lua"
"$LUNET" "$TMP/exit.lua"
same "os.exit(n) sets the status" 7 $?

printf 'y = 3\n' >"$TMP/i.lua"
same "-i script then piped lines" "4" "$(echo 'y + 1' | "$LUNET" -i "$TMP/i.lua")"

# Strings with control bytes print whole, as literals that read back the same.
printf '%s\n' '"a\0b"' '{"x\0y", "q\"\\", "l1\nl2"}' '"\0" .. "1"' '"tab\there"' |
  "$LUNET" -i >"$TMP/out" 2>&1
same "a string with a NUL prints whole and escaped; in a table a newline is \\n" \
  "$(printf '%s\n' '"a\0b"' '{"x\0y", "q\"\\", "l1\nl2"}' '"\0001"' "$(printf 'tab\there')")" \
  "$(cat "$TMP/out")"
# A long list fills its lines (as a tensor's rows do), at most 78 columns.
printf '%s\n' 't = {} for i = 1, 45 do t[i] = i * 1.5 end' 't' '{1, 2, x = 3}' |
  "$LUNET" -i >"$TMP/out" 2>&1
same "a 45-number list wraps over 4 lines, with its first 40 and the rest counted" \
  "$(printf '%s\n' '{' \
    '  1.5, 3.0, 4.5, 6.0, 7.5, 9.0, 10.5, 12.0, 13.5, 15.0, 16.5, 18.0, 19.5,' \
    '  21.0, 22.5, 24.0, 25.5, 27.0, 28.5, 30.0, 31.5, 33.0, 34.5, 36.0, 37.5,' \
    '  39.0, 40.5, 42.0, 43.5, 45.0, 46.5, 48.0, 49.5, 51.0, 52.5, 54.0, 55.5,' \
    '  57.0, 58.5, 60.0, ... (5 more)' '}' '{1, 2, x = 3}')" "$(cat "$TMP/out")"
# every byte, printed by the REPL, read back by Lua
cat >"$TMP/bytes.lua" <<'LUA'
local s = {}
for c = 0, 255 do s[#s + 1] = string.char(c) .. (c % 2 == 0 and "7" or "") end
return table.concat(s)
LUA
printf 'dofile("%s")\n' "$TMP/bytes.lua" | "$LUNET" -i >"$TMP/printed" 2>&1
out=$("$LUNET" -e "local f = assert(io.open('$TMP/printed', 'rb'))
  local v = load('return ' .. f:read('a'))()
  print(v == dofile('$TMP/bytes.lua') and 'same' or 'differs')")
same "  ...and every byte reads back the same" "same" "$out"

out=$("$LUNET" -v)
echo "$out" | grep -q '^lunet [0-9]' && echo "$out" | grep -q '^Lua 5\.4' &&
  echo "$out" | grep -q 'OpenBLAS' && echo "$out" | grep -q '^SDL 2\.'
check "-v names lunet, Lua, OpenBLAS and SDL versions" $?
"$LUNET" -h | grep -q '^usage: '
check "-h prints the usage on stdout" $?
"$LUNET" -Q 2>"$TMP/err"
same "an unknown option exits 1" 1 $?
grep -q "unrecognized option '-Q'" "$TMP/err"
check "  ...and says which" $?

out=$(printf '1, "a"\nx = lunet.ones(2)\nx, x:sum()\n' | "$LUNET" -i 2>&1)
same "several results: side by side, or one below the other when one is a tensor" \
  "$(printf '1\ta\n 1 1\n[lunet.Tensor of size 2]\n2.0')" "$out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
