-- Run by tests/viewer/keys.sh under Xvfb, in a scratch directory (where
-- the window's `s` key writes lunet-N.png): presses the window's keys with
-- xdotool and saves a PNG after each set, then closes the window with `q`
-- while logging goes on, and a second window with Escape.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local lunet = require "lunet"

local board = lunet.Board()
local feed = require("feed").logger(board, true)
local log = feed.log

local xwin = require "xwin"
local sh, poll = xwin.sh, xwin.poll
local function open(title) return xwin.open(board, title, 800, 600) end

log(300)   -- histograms at steps 50 .. 300
local win, id = open("lunet keys")
if not id then os.exit(1) end

-- Presses keys, then `s`; the save is done when the file is there (it is
-- written to a temporary file and renamed, so it is whole once it exists).
local saved = 0
local function press_and_save(keys)
  saved = saved + 1
  sh("xdotool key " .. keys .. " s")
  local want = "lunet-" .. saved .. ".png"
  local ok = poll(function()
    local f = io.open(want, "rb")
    if f then f:close() end
    return f ~= nil
  end)
  print("saved", saved, keys, ok)
end

press_and_save("")                 -- 1: as opened
press_and_save("")                 -- 2: the same picture again
press_and_save("l")                -- 3: log scale
press_and_save("l")                -- 4: back to linear
press_and_save("Left")             -- 5: the snapshot before the newest
press_and_save("Left Left Right")  -- 6: the one before that
press_and_save("Right")            -- 7: 5 again
press_and_save("space")            -- 8: follows the newest again

-- `q` closes the window only: logging goes on meanwhile and after.
sh("xdotool key q")
local closed = poll(function() return not win:is_open() end, function() log(10) end)
local before = feed.step
log(1000)
print("q closed", closed, feed.step == before + 1000)
win:close()

local win2, id2 = open("lunet keys 2")
if id2 then sh("xdotool key Escape") end
closed = poll(function() return not win2:is_open() end, function() log(10) end)
print("Escape closed", closed)
win2:close()
print("done", feed.step, #board:tags().scalars)
