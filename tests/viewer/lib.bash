# tests/viewer/lib.bash: set-up for the window tests (sourced from the
# repository root, not run): lunet.so from $B, the Lua to run it with, a
# scratch directory $out removed on exit, and the pass/fail count.
B=${B:-build}
export LUA_CPATH="$PWD/$B/?.so;;"
if [ -x "${LUNET:-}" ]; then run=("$LUNET"); else run=(lua5.4); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0 failed=0
ok() {
  if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $2"; fi
}
# xrun script args...: a Lua script in a window of its own Xvfb, time-bounded.
xrun() { timeout 120 xvfb-run -a -s "-screen 0 1024x768x24" "${run[@]}" "$@"; }
# window_script NAME: runs tests/viewer/NAME_script.lua in a window (xrun,
# from $out), shows its output, counts its exit status; the output in $log.
window_script() {
  local script="$PWD/tests/viewer/$1_script.lua" rc
  log=$(cd "$out" && xrun "$script" 2>&1)
  rc=$?
  echo "$log"
  ok $rc "$1 script exit $rc"
}
# expect_lines WANT...: each a fixed string some line of $log holds.
expect_lines() {
  local want
  for want in "$@"; do grep -qF "$want" <<<"$log"; ok $? "script output lacks '$want'"; done
}
summary() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; }
