-- Opened by tests/viewer/window.sh under Xvfb: a script that keeps logging
-- while a window shows the board, screenshots it, closes it, and goes on.
-- usage: window_script.lua <screenshot.png>
local lunet = require "lunet"
local shot = assert(arg[1], "usage: window_script.lua shot.png")

local board = lunet.Board()
local step = 0
local function log(n)
  for _ = 1, n do
    step = step + 1
    board:scalar("cost/no BN", step, 100 / step)
    board:scalar("cost/BN", step, 50 / step + 1)
    if step % 50 == 0 then
      board:histogram("no BN/L1", step, lunet.randn(200, 10))
      board:histogram("BN/L1", step, lunet.rand(200, 10))
    end
  end
end

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

local before = step
win:close()
print("closed", not win:is_open())
log(1000)
local tags = board:tags()
print("continued", step == before + 1000, #tags.scalars, #tags.histograms)
print("frames", win:frames())
