#!/bin/bash
# tests/fuzz/fuzz.bash SEEDS CALLS: runs the API fuzzer (fuzz.lua) once per seed,
# each in a fresh temporary directory, and reports each seed's findings.
# SEEDS is a range "1-100", a list "1 5 9" or "1,5,9". Environment:
#   LUNET      the executable (default $B/lunet, B=build)
#   FUZZ_OUT   where the reproducers of findings are kept ($B/fuzz)
#   FUZZ_HANG  seconds a single call may run before it is a hang (60)
#   FUZZ_MEM   megabytes of memory a run may use (3000): past it, an
#              allocation fails (which lunet must report) or, for the
#              sanitized build, the run is stopped and reported
# A seed passes when the fuzzer ends cleanly with no finding; it is skipped
# when its only findings are known ones (known.lua, each with its issue);
# it fails on any other finding, a crash, a sanitizer report or a hang.
# Windows open on SDL's "dummy" video driver: the window code runs, nothing
# is shown, and no display is needed. Ends with "N passed, N failed[, N
# skipped]", the seeds counted, like every test runner of tests/run.sh.
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
B=${B:-build}
LUNET=${LUNET:-$root/$B/lunet}
OUTDIR=${FUZZ_OUT:-$root/$B/fuzz}
HANG=${FUZZ_HANG:-60}
MEM=${FUZZ_MEM:-3000}
[ $# = 2 ] || { echo "usage: $0 SEEDS CALLS" >&2; exit 2; }
case "$1" in
  *-*) seeds=$(seq "${1%-*}" "${1#*-}") ;;
  *) seeds=${1//,/ } ;;
esac
calls=$2
mkdir -p "$OUTDIR"

sanitized=0
ldd "$LUNET" 2>/dev/null | grep -q libasan && sanitized=1
export SDL_VIDEODRIVER=dummy
unset DISPLAY WAYLAND_DISPLAY
if [ $sanitized = 1 ]; then
  limits="allocator_may_return_null=1:max_allocation_size_mb=$MEM"
  # three times one allocation's limit: a layer the script may legitimately
  # ask for (a weight and its gradient of MEM each) fits, with ASan's shadow
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$limits:hard_rss_limit_mb=$((MEM * 3))"
fi

# shrink: a small reproducer of the crash or hang of this seed (shrink.lua),
# kept when it still fails the same way: the same sanitizer summary, a
# signal, or a hang.
shrink() {
  local small=$OUTDIR/seed-$seed.min.lua sdir rc2 again
  "${LUA:-lua5.4}" "$root/tests/fuzz/shrink.lua" "$repro" >"$small" || return
  sdir=$(mktemp -d)
  (cd "$sdir" && { [ $sanitized = 1 ] || ulimit -v $((MEM * 1024)); } &&
    exec timeout -s KILL $((HANG + 30)) "$LUNET" "$small") >"$sdir/out" 2>&1
  rc2=$?
  again=0
  if [ -n "$san" ]; then
    grep -qF -- "$(echo "$san" | grep '^SUMMARY' | head -n 1)" "$sdir/out" && again=1
  elif [ $hung = 1 ]; then [ $rc2 = 137 ] && again=1
  else [ $rc2 -gt 128 ] && again=1; fi
  rm -rf "$sdir"
  if [ $again = 0 ]; then
    echo "    (no smaller reproducer: the slice of the run does not fail alone)"
    rm -f "$small"; return
  fi
  echo "    a smaller reproducer, $(wc -l <"$small") lines, fails the same way: $small"
  [ "$(wc -l <"$small")" -le 40 ] && grep -v '^--' "$small" | cut -c1-300 | sed 's/^/      /'
}

passed=0 failed=0 skipped=0 total_calls=0
for seed in $seeds; do
  dir=$(mktemp -d)
  repro=$dir/repro.lua
  # ulimit in a subshell: the normal build's allocations fail past FUZZ_MEM
  # (ASan reserves terabytes of address space, so it gets its own limit).
  (
    cd "$dir" || exit 1
    [ $sanitized = 1 ] || ulimit -v $((MEM * 1024))
    exec "$LUNET" "$root/tests/fuzz/fuzz.lua" "$seed" "$calls" "$repro" "$root/docs/api.md"
  ) >"$dir/stdout" 2>"$dir/stderr" &
  pid=$!
  # the watchdog: the fuzzer writes each statement before it runs it, so a
  # reproducer that stops growing while the fuzzer runs is a call that hangs
  # (polled five times a second: a watchdog, not a synchronisation)
  hung=0 size=-1 still=0
  while kill -0 $pid 2>/dev/null; do
    now=$(stat -c %s "$repro" 2>/dev/null || echo 0)
    if [ "$now" = "$size" ]; then still=$((still + 1)); else still=0 size=$now; fi
    if [ $still -ge $((HANG * 5)) ]; then
      hung=1
      # where it hangs, when gdb is there to say (the process is lunet itself)
      command -v gdb >/dev/null &&
        timeout 60 gdb -p "$(pgrep -P $pid || echo $pid)" -batch -ex "thread apply all bt 12" \
          >"$dir/stacks" 2>&1
      kill -9 $pid 2>/dev/null
      break
    fi
    sleep 0.2
  done
  wait $pid
  rc=$?
  summary=$(grep -E '^seed [0-9]+: ' "$dir/stdout" | tail -n 1)
  san=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|^SUMMARY: ' "$dir/stderr" |
    head -n 3)
  new=$(grep -c '^FINDING ' "$dir/stderr")
  known=$(grep -c '^KNOWN ' "$dir/stderr")
  if [ $hung = 0 ] && [ -z "$san" ] && [ -n "$summary" ] && [ "$new" = 0 ] && [ $rc = 0 ]; then
    total_calls=$((total_calls + calls))
    if [ "$known" = 0 ]; then
      passed=$((passed + 1)); echo "ok - $summary"
    else
      skipped=$((skipped + 1)); echo "SKIP seed $seed: only known findings ($summary)"
      grep '^KNOWN ' "$dir/stderr" | sort | uniq -c | sed 's/^/    /'
    fi
    rm -rf "$dir"
    continue
  fi
  failed=$((failed + 1))
  cp "$repro" "$OUTDIR/seed-$seed.lua" 2>/dev/null
  if [ $hung = 1 ]; then what="a hang (no progress for ${HANG} s)"
  elif [ -n "$san" ]; then what="a sanitizer report"
  elif [ $rc -gt 128 ]; then what="a crash (signal $((rc - 128)))"
  elif [ "$new" != 0 ]; then what="$new finding(s)"
  else what="an abnormal end (exit $rc)"; fi
  echo "not ok - seed $seed: $what"
  if [ "$new" != 0 ]; then
    grep -A1 '^FINDING ' "$dir/stderr" | grep -v '^--$' | head -n 20 | sed 's/^/    /'
  fi
  if [ $hung = 1 ] || [ -n "$san" ] || [ $rc -gt 128 ] || [ -z "$summary" ]; then
    echo "    the call running then (the reproducer's last statement):"
    tail -n 1 "$repro" | cut -c1-400 | sed 's/^/      /'
    [ -n "$san" ] && echo "$san" | sed 's/^/    /'
    grep -v '^FINDING\|^KNOWN\|^  statement' "$dir/stderr" | head -n 12 | sed 's/^/    | /'
    [ -s "$dir/stacks" ] && grep -E '^(Thread|#)' "$dir/stacks" | head -n 40 | sed 's/^/    > /'
  fi
  echo "    replay: cd \$(mktemp -d) && SDL_VIDEODRIVER=dummy $LUNET $OUTDIR/seed-$seed.lua"
  if [ $hung = 1 ] || [ -n "$san" ] || [ $rc -gt 128 ]; then shrink; fi
  rm -rf "$dir"
done
echo "fuzzed: $total_calls calls in the seeds that ended"
echo "$passed passed, $failed failed$([ $skipped = 0 ] || echo ", $skipped skipped")"
[ $failed = 0 ]
