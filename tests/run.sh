#!/bin/bash
# Runs every test and ends with one line "N passed, N failed", followed by
# ", N skipped" when some test was skipped (a skip is never a pass: on a
# fresh machine, `tools/deps.sh test` installs what the tests need).
# Each C test binary and each tests/*/*.sh script prints its own
# "N passed, N failed[, N skipped]" last; busted specs report through TAP,
# where a pending() spec is "ok N - # SKIP ...".
# A runner that crashes or exits non-zero without counting a failure
# counts as one failure.
B=${B:-build}
LUA=${LUA:-lua5.4}
export LUA_CPATH="$PWD/$B/?.so;;"
export LUNET="$PWD/$B/lunet"
passed=0 failed=0 skipped=0
# A sanitized lunet.so loads into the stock lua5.4 only with the runtimes
# preloaded; that preload is given to busted alone.
preload=""
if [ "$1" = --asan ]; then
  preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
fi

tally() {  # name, exit status, output file
  local line p=0 f=0 s=0
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$3" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
  fi
  if [ "$2" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" != 0 ]; then
    echo "== $1: FAILED (exit $2)"; tail -n 40 "$3"
  else
    echo "== $1: $p passed$(counted_skips "$s")"
    # the reasons, so that a skip is seen and can be acted on
    [ "$s" = 0 ] || grep -E '^(ok [0-9]+ - )?# SKIP|^SKIP' "$3" | sed 's/^/   /'
  fi
}
counted_skips() { [ "$1" = 0 ] || echo ", $1 skipped"; }

out=$(mktemp)
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  timeout 300 "$t" >"$out" 2>&1; rc=$?; tally "$(basename "$t")" $rc "$out"
done

for t in tests/*/*.sh; do
  [ -f "$t" ] || continue
  # tests/install/ installs into the system: `make test-install` runs it.
  [ "${t#tests/install/}" != "$t" ] && continue
  # Under --asan, a window's SDL shutdown unloads X11 libraries whose
  # leftovers LeakSanitizer can only call "<unknown module>": leaks are
  # checked by every other runner, not by the window tests.
  leaks=1
  [ -n "$preload" ] && [ "${t#tests/viewer/}" != "$t" ] && leaks=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=$leaks" timeout 300 bash "$t" >"$out" 2>&1
  rc=$?; tally "$t" $rc "$out"
done

if ls tests/spec/*_spec.lua >/dev/null 2>&1; then
  LD_PRELOAD="$preload" timeout 600 "$LUA" /usr/bin/busted -o TAP tests/spec >"$out" 2>&1
  rc=$?
  s=$(grep -c '^ok [0-9]* - # SKIP' "$out")
  p=$(($(grep -c '^ok ' "$out") - s)); f=$(grep -c '^not ok ' "$out")
  echo "$p passed, $f failed$(counted_skips "$s")" >>"$out"
  tally busted $rc "$out"
fi
rm -f "$out"
echo "$passed passed, $failed failed$(counted_skips "$skipped")"
[ "$failed" = 0 ]
