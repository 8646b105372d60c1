-- Run by tests/viewer/filter.sh under Xvfb, in a scratch directory: types a
-- filter into the window with xdotool and saves a PNG at each stage (the
-- `s` key writes lunet-N.png). The pattern "loss" holds l, o and s, which
-- would toggle log scale, robust ranges and save a PNG if they acted while
-- typed. Prints the window's title at each stage (it names the filter).
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local lunet = require "lunet"

local board = lunet.Board()
for step = 1, 100 do
  board:scalar("loss/train", step, 1 / step)
  board:scalar("acc/train", step, 1 - 1 / step)
  if step % 20 == 0 then
    for l = 1, 12 do board:histogram("train/dense" .. l, step, lunet.randn(200) * l) end
  end
end

local xwin = require "xwin"
local sh, poll = xwin.sh, xwin.poll

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local title = "lunet filter"
local win, id = xwin.open(board, title, 900, 600)
if not id then os.exit(1) end

local function name()
  return (sh("xdotool getwindowname " .. id):gsub("\n$", ""))
end
-- Waits until the title holds want (the frame after the keys is drawn).
local function title_has(want)
  local ok = poll(function() return name():find(want, 1, true) ~= nil end)
  print("title", ok, name())
  return ok
end

local saved = 0
local function save(label)
  saved = saved + 1
  sh("xdotool key s")
  print("saved", saved, label, poll(function() return exists("lunet-" .. saved .. ".png") end))
end

save("as opened")                                         -- 1
sh("xdotool key slash")
sh("xdotool type --delay 30 loss")
title_has("typing a filter")
if os.getenv("SHOT") then sh("import -window root " .. os.getenv("SHOT") .. "/typing.png") end
print("typed, nothing saved", not exists("lunet-2.png"))
sh("xdotool key Return")
title_has('filter "loss": 1 of 14 tags')
if os.getenv("SHOT") then sh("import -window root " .. os.getenv("SHOT") .. "/filtered.png") end
save("filtered")                                          -- 2
sh("xdotool key Escape")
title_has(title)
poll(function() return name() == title end)
save("cleared")                                           -- 3
sh("xdotool key Escape")
print("Escape closed", poll(function() return not win:is_open() end))
win:close()
print("done")
