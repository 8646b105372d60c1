#!/bin/bash
# Window after window under Xvfb: show() right after close() must open.
# Xvfb resets itself whenever its last client leaves and drops connections
# that arrive during the reset, so with no other client each close() may be
# followed by such a reset. A background loop of short-lived X clients
# makes resets frequent (about one open in ten hit one before the fix),
# so 60 cycles expose a window that gives up on the first refusal.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash

cat >"$out/churn.sh" <<'SH'
( while :; do xdotool getmouselocation >/dev/null 2>&1; done ) &
churn=$!
"$@"
rc=$?
kill "$churn"
exit $rc
SH
log=$(timeout 300 xvfb-run -a -s "-screen 0 640x480x24" bash "$out/churn.sh" "${run[@]}" -e '
  local lunet = require "lunet"
  local b = lunet.Board()
  b:scalar("cost/a", 1, 1)
  local opened, drawn = 0, 0
  for i = 1, 60 do
    local ok, w = pcall(lunet.viewer.show, b, {width = 200, height = 150})
    if ok then
      opened = opened + 1
      if w:frames() >= 1 then drawn = drawn + 1 end
      w:close()
      if w:is_open() then print("still open after close", i) end
    else
      print("cycle " .. i .. ": " .. w)
    end
  end
  print("opened", opened, "drawn", drawn)' 2>&1)
rc=$?
echo "$log"
ok $rc "reopen script exit $rc"
grep -qF "opened	60	drawn	60" <<<"$log"; ok $? "not every show() after close() opened and drew"
! grep -q "still open" <<<"$log"; ok $? "a window stayed open after close()"
summary
