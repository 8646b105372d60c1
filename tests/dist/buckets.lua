-- DataParallel's gradient sum over more than one bucket (1,050,625 floats
-- against buckets of 2^20) is the mean of the ranks' own gradients, as
-- dist.all_reduce of each gradient alone gives it, and the same on every
-- rank; whichever way the sum goes (shared memory, or MPI_Allreduce with
-- LUNET_DIST_SHM=0: tests/dist/dist.sh runs both). `save PATH` writes the
-- averaged gradients there (rank 1), `check PATH` compares with them: the
-- two ways give the same sums.
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist
local r, n = dist.rank(), dist.size()

lunet.manual_seed(1)
local net = lunet.Sequential{lunet.Linear(1024, 1025), lunet.ReLU(), lunet.Linear(1025, 3)}
local ref = net:clone()
local ddp = dist.DataParallel(net)
lunet.manual_seed(10 + r)  -- every rank its own batch
local x, dy = lunet.randn(5, 1024), lunet.randn(5, 3)

local function grads(m)
  m:zero_grad()
  m:backward(x, dy, {input_grad = false})
  local _, g = m:parameters()
  return g
end
ref:forward(x)
local want = grads(ref)
ddp:forward(x)
local got = grads(ddp)
for i, g in ipairs(want) do
  dist.all_reduce(g, "mean")
  T.close(("gradient %d, the mean over %d ranks"):format(i, n), got[i], g, 1e-6)
  local first = got[i]:clone()
  dist.broadcast(first, 1)
  T.close(("gradient %d is rank 1's on every rank"):format(i, n), got[i], first, 0)
end
-- A second step reuses the buffers.
local again = grads(ddp)
T.close("a second step gives the same sums", again[1], want[1], 1e-6)
if arg[1] == "save" and r == 1 then lunet.save(arg[2], again) end
if arg[1] == "check" then
  local other = lunet.load(arg[2])
  for i, g in ipairs(again) do
    T.close(("gradient %d, summed the other way"):format(i), g, other[i], 1e-6)
  end
end
T.finish()
