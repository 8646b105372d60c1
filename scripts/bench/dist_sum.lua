-- dist_sum.lua: the gradient sum of the Fashion-MNIST MLP (235,914 floats)
-- alone, between ranks in step (a barrier before each), under mpirun:
-- lunet.dist.all_reduce (MPI_Iallreduce) and DataParallel's own sum (the
-- packing into its bucket, the sum, in shared memory when the ranks share
-- the machine, and the unpacking), the median of many. The rest of a
-- step's communication time is waiting for the other rank.
-- usage: mpirun -np 2 build/lunet scripts/bench/dist_sum.lua [reps]
local lunet = require "lunet"
local dist = lunet.dist
local N, reps = 235914, tonumber(arg[1]) or 300

local function median(f)
  local t = {}
  for i = 1, reps do
    dist.barrier()
    local t0 = lunet.clock()
    f()
    t[i] = lunet.clock() - t0
  end
  table.sort(t)
  return t[(reps + 1) // 2] * 1e3
end

local x = lunet.ones(N)
local mpi = median(function() dist.all_reduce(x, "sum") end)

-- A module whose backward only adds into its gradient: DataParallel's
-- backward is then its sum.
local Grad = lunet.Module("Grad")
function Grad:__init(n) self:parameter("weight", lunet.zeros(n)) end
function Grad:forward(v) return v end
function Grad:backward(_, dy) return dy end
local ddp = dist.DataParallel(Grad(N))
local v = lunet.zeros(1)
ddp:forward(v)
local own = median(function() ddp:backward(v, v) end)
if dist.rank() == 1 then
  print(string.format("sum of %d floats on %d ranks in step: all_reduce %.3f ms, "
    .. "DataParallel %.3f ms", N, dist.size(), mpi, own))
end
