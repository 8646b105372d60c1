-- lunet side of the tensor operation benchmark (torch_tensor_ops.py is
-- PyTorch's; tensor_ops.sh runs both and prints the table). Prints one line
-- per operation: `<name> <seconds per call>` (the best of 20 timed trials of a few
-- milliseconds each: on a shared machine the least disturbed one),
-- or `<name> n/a` for an operation this build does not have.
-- usage: lunet scripts/bench/tensor_ops.lua
local lunet = require "lunet"
lunet.manual_seed(1)

local v1, v2 = lunet.randn(1000000), lunet.randn(1000000)
local a, b = lunet.randn(1024, 1024), lunet.randn(1024, 1024)
local row = lunet.randn(1024)

-- name, calls per trial, function (nil when the method is missing)
local ops = {
  {"add 1e6", 15, function() return v1 + v2 end},
  {"mul 1e6", 15, function() return v1 * v2 end},
  -- a temporary and a result: two fresh 4 MB blocks freed together
  {"(a + b) * a 1e6", 10, function() return (v1 + v2) * v1 end},
  {"exp 1e6", 5, v1.exp and function() return v1:exp() end},
  {"add row 1024x1024", 15, function() return a + row end},
  {"sum 1e6", 30, function() return v1:sum() end},
  {"mean dim 1 1024x1024", 15, function() return a:mean(1) end},
  {"mean dim 2 1024x1024", 15, function() return a:mean(2) end},
  {"max 1e6", 30, function() return v1:max() end},
  {"max dim 2 1024x1024", 10, function() return a:max(2) end},
  {"logsumexp dim 2 1024x1024", 5, function() return a:logsumexp(2) end},
  {"mm 1024", 1, function() return lunet.mm(a, b) end},
  {"mm transposed 1024", 1, function() return lunet.mm(a:t(), b) end},
}

for _, op in ipairs(ops) do
  local name, n, f = op[1], op[2], op[3]
  if not f then
    print(name:gsub(" ", "_") .. " n/a")
  else
    f()  -- warm up: first-touch pages, BLAS buffers
    local best = math.huge
    for _ = 1, 20 do
      collectgarbage()
      local t0 = lunet.clock()
      for _ = 1, n do f() end
      best = math.min(best, (lunet.clock() - t0) / n)
    end
    print(name:gsub(" ", "_") .. " " .. best)
  end
end
