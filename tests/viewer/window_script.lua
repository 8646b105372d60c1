-- Opened by tests/viewer/window.sh under Xvfb: a script that keeps logging
-- while a window shows the board, screenshots it, closes it, and goes on.
-- usage: window_script.lua <screenshot.png>
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local lunet = require "lunet"
local shot = assert(arg[1], "usage: window_script.lua shot.png")

local board = lunet.Board()
local feed = require("feed").logger(board, false)
local log = feed.log

log(100)
local win = lunet.viewer.show(board, {width = 800, height = 600, title = "lunet test"})
print("open", win:is_open())

-- keep logging until the window has drawn a few frames (bounded in time)
local t0 = os.time()
while win:frames() < 3 and os.time() - t0 < 30 do log(10) end
print("frames>=3", win:frames() >= 3)

-- screenshot while logging goes on
local p = assert(io.popen("import -window root " .. shot .. " 2>&1; echo done"))
log(2000)
print("import", p:read("a"):match("done") ~= nil)
p:close()

local before = feed.step
win:close()
print("closed", not win:is_open())
log(1000)
local tags = board:tags()
print("continued", feed.step == before + 1000, #tags.scalars, #tags.histograms)
print("frames", win:frames())
