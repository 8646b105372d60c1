-- viewer_bench.lua: what the board and an open window cost training.
-- The seed experiment (both networks, full batch) trained for N steps,
-- logging every step's cost and every 50th step's layer inputs to a board
-- shown in a window, against the same training with no board at all.
-- Runs alternate and the best of each is kept, to damp machine noise.
--   lunet scripts/bench/viewer_bench.lua [steps] [rounds]
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/../lib/?.lua;" .. package.path
local lunet = require "lunet"
local seed = require "seed"

local steps = tonumber(arg[1]) or 1000
local rounds = tonumber(arg[2]) or 3
local opts = { steps = steps, cost_every = 1, hist_every = 50 }

local function plain()
  local t0 = lunet.clock()
  seed.compare(opts, {})
  return lunet.clock() - t0
end

local frames = 0
local function with_board()
  local board = lunet.Board()
  local win = lunet.viewer.show(board, { log = true })
  local t0 = lunet.clock()
  seed.compare(opts, {
    on_cost = function(r, step, cost) board:scalar("cost/" .. r.name, step, cost) end,
    on_hist = function(r, step, inputs)
      for l, t in ipairs(inputs) do board:histogram(r.name .. "/L" .. l, step, t) end
    end,
  })
  local dt = lunet.clock() - t0
  frames = frames + win:frames()
  win:close()
  return dt
end

local best_plain, best_board = math.huge, math.huge
for _ = 1, rounds do
  best_plain = math.min(best_plain, plain())
  best_board = math.min(best_board, with_board())
end
print(string.format("training cost of the viewer: seed networks, %d steps, best of %d", steps,
  rounds))
print(string.format("  no board:                %.3f s", best_plain))
print(string.format("  board + open window:     %.3f s  (%+.1f%%, goal <= +5%%; %d frames drawn)",
  best_board, (best_board / best_plain - 1) * 100, frames))
