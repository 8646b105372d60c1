#!/bin/bash
# A real window under Xvfb, opened from a script that keeps logging: the
# screenshot must show the board, and closing the window must not stop the
# script. Also: without a display, show() must fail clearly, naming save_png.
cd "$(dirname "$0")/../.." || exit 1
. tests/viewer/lib.bash

# 1. no display at all
msg=$(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "${run[@]}" -e '
  local lunet = require "lunet"
  local ok, err = pcall(lunet.viewer.show, lunet.Board())
  print(ok, err)' 2>&1)
echo "$msg"
[[ "$msg" == *"false"*"lunet.viewer.show: no display"*"save_png"* ]]
ok $? "no-display error: $msg"

# 2. a display that cannot be opened
msg=$(env -u WAYLAND_DISPLAY DISPLAY=:4321 "${run[@]}" -e '
  local lunet = require "lunet"
  local ok, err = pcall(lunet.viewer.show, lunet.Board())
  print(ok, err)' 2>&1)
echo "$msg"
[[ "$msg" == *"false"*"cannot open a window"*"save_png"* ]]; ok $? "bad-display error: $msg"

# 3. the real window
log=$(xrun tests/viewer/window_script.lua "$out/shot.png" 2>&1)
rc=$?
echo "$log"
ok $rc "window script exit $rc"
for want in "open	true" "frames>=3	true" "import	true" "closed	true" \
            "continued	true	2	2"; do
  grep -qF "$want" <<<"$log"; ok $? "script output lacks '$want'"
done
if [ -f "$out/shot.png" ]; then
  colors=$(convert "$out/shot.png" -format %k info: 2>/dev/null)
  echo "screenshot: $colors colours"
  [ "${colors:-0}" -gt 20 ]; ok $? "screenshot is blank ($colors colours)"
  # the curves' and bars' colours (matplotlib C0 blue, C1 orange) are on screen
  for c in "rgb(31,119,180)" "rgb(255,127,14)"; do
    n=$(convert "$out/shot.png" -fill black +opaque "$c" -fill white -opaque "$c" \
        -format "%[fx:int(mean*w*h)]" info: 2>/dev/null)
    echo "$c: $n pixels"
    [ "${n:-0}" -gt 100 ]; ok $? "colour $c missing from the screenshot ($n)"
  done
  [ -n "${KEEP_SHOT:-}" ] && cp "$out/shot.png" "$KEEP_SHOT"
else
  ok 1 "no screenshot taken"
fi
summary
