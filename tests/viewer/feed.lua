-- feed.lua: what the window scripts (keys_script.lua, window_script.lua)
-- log while a window shows the board: two cost curves every step, two
-- histograms every 50 steps.
local lunet = require "lunet"

local M = {}

-- A logger for board: log(n) logs n more steps, `step` is the last one.
-- With spread, BN/L1's values widen with the step, so that histogram
-- snapshots differ visibly from one another.
function M.logger(board, spread)
  local self = { step = 0 }
  function self.log(n)
    for _ = 1, n do
      local step = self.step + 1
      self.step = step
      board:scalar("cost/no BN", step, 100 / step)
      board:scalar("cost/BN", step, 50 / step + 1)
      if step % 50 == 0 then
        board:histogram("no BN/L1", step, lunet.randn(200, 10))
        local h = lunet.rand(200, 10)
        board:histogram("BN/L1", step, spread and h * step / 50 or h)
      end
    end
  end
  return self
end

return M
