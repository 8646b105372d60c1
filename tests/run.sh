#!/bin/bash
# Runs every test and ends with one line "N passed, N failed".
# Each C test binary and each tests/*/*.sh script prints its own
# "N passed, N failed" last; busted specs report through TAP.
# A runner that crashes or exits non-zero without counting a failure
# counts as one failure.
B=${B:-build}
LUA=${LUA:-lua5.4}
export LUA_CPATH="$PWD/$B/?.so;;"
export LUNET="$PWD/$B/lunet"
passed=0 failed=0
# A sanitized lunet.so loads into the stock lua5.4 only with the runtimes
# preloaded; that preload is given to busted alone.
preload=""
if [ "$1" = --asan ]; then
  preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
fi

tally() {  # name, exit status, output file
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$3" | tail -n 1)
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  [ -n "$line" ] || { p=0; f=0; }
  if [ "$2" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" != 0 ]; then
    echo "== $1: FAILED (exit $2)"; tail -n 40 "$3"
  else
    echo "== $1: $p passed"
  fi
}

out=$(mktemp)
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  timeout 300 "$t" >"$out" 2>&1; tally "$(basename "$t")" $? "$out"
done

for t in tests/*/*.sh; do
  [ -f "$t" ] || continue
  # Under --asan, a window's SDL shutdown unloads X11 libraries whose
  # leftovers LeakSanitizer can only call "<unknown module>": leaks are
  # checked by every other runner, not by the window tests.
  leaks=1
  [ -n "$preload" ] && [ "${t#tests/viewer/}" != "$t" ] && leaks=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=$leaks" timeout 300 bash "$t" >"$out" 2>&1
  tally "$t" $? "$out"
done

if ls tests/spec/*_spec.lua >/dev/null 2>&1; then
  LD_PRELOAD="$preload" timeout 600 "$LUA" /usr/bin/busted -o TAP tests/spec >"$out" 2>&1
  rc=$?
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
  echo "$p passed, $f failed" >>"$out"
  tally busted $rc "$out"
fi
rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
