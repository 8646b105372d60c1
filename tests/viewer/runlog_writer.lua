-- Run by tests/viewer/runlog.sh: the writers of run logs, one process each.
--   runlog_writer.lua finished DIR OUT   a whole run, thinned past small caps,
--                                        drawn to OUT/orig-*.png, closed
--   runlog_writer.lua live DIR OUT FIFO  a run in phases: after each one it
--                                        flushes, draws OUT/ref-N.png, prints
--                                        "phase N" and waits for a line on FIFO
--   runlog_writer.lua kill DIR           logs until killed: "cost/a" = step/4
--                                        at steps 1, 2, ...; "flushed N" once
local lunet = require "lunet"
local mode, dir, out, fifo = arg[1], arg[2], arg[3], arg[4]

-- The pictures compared with the reopened board's (runlog.sh draws those).
local VIEWS = {
  {},
  {time = true, width = 900, height = 700},
  {panels = "scalars", log = true, smoothing = 0.6},
}

local function log_steps(b, from, to)
  for step = from, to do
    b:scalar("cost/BN", step, 50 / step + 1)
    b:scalar("cost/no BN", step, (step >= 300 and step < 310) and 0 / 0 or 100 / step)
    if step % 10 == 0 then
      b:histogram("BN/L1", step, lunet.randn(200, 10))
      b:histogram("no BN/L1", step, lunet.rand(200, 10) * (step / 50))
      b:histogram("BN/L2", step, lunet.randn(100):maximum(0))
    end
  end
end

lunet.manual_seed(1)
if mode == "finished" then
  local b = lunet.Board{logdir = dir, scalar_cap = 64, histogram_cap = 8}
  b:axis("cost", {xlabel = "epoch"})
  log_steps(b, 1, 500)
  b:axis("cost", {ylabel = "loss"})
  for i, v in ipairs(VIEWS) do b:save_png(out .. "/orig-" .. i .. ".png", v) end
  b:close()
  print("finished")
elseif mode == "live" then
  local b = lunet.Board{logdir = dir}
  local from = 1
  for phase = 1, 3 do
    log_steps(b, from, from + 49)
    from = from + 50
    if phase == 2 then b:axis("cost", {xlabel = "epoch"}) end
    b:flush()
    b:save_png(out .. "/ref-" .. phase .. ".png", {width = 1280, height = 800})
    print("phase " .. phase)
    io.stdout:flush()
    local f = assert(io.open(fifo))
    f:read("l")
    f:close()
  end
  b:close()
elseif mode == "kill" then
  local b = lunet.Board{logdir = dir, scalar_cap = 1 << 22, histogram_cap = 1 << 12}
  local x = lunet.randn(50)
  for step = 1, 3000000 do
    b:scalar("cost/a", step, step / 4)
    if step % 1000 == 0 then b:histogram("a/L1", step, x) end
    if step == 20000 then
      b:flush()
      print("flushed " .. step)
      io.stdout:flush()
    end
  end
  print("not killed")
  io.stdout:flush()
  while true do end   -- until the kill
else
  error("usage: runlog_writer.lua finished|live|kill DIR [OUT [FIFO]]")
end
