-- A checkpoint taken by rank 1 resumes on any number of ranks: run with
-- `save PATH` under one number of processes (it trains HALF steps and rank
-- 1 saves the network and its optimizer), then with `resume PATH` under
-- another (it loads them, wraps the network again and trains HALF more).
-- Every rank also trains one process on the whole batches for 2 HALF
-- steps; the resumed weights must equal them to 1e-5 relative, whatever
-- the numbers of ranks before and after (the global batch, 12 rows, splits
-- evenly over 1, 2 or 3 ranks).
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist
local phase, path = arg[1], arg[2]
assert((phase == "save" or phase == "resume") and path, "usage: resume.lua save|resume PATH")
local r, n = dist.rank(), dist.size()
local GLOBAL, HALF, TOL = 12, 5, 1e-5
local B = GLOBAL // n

-- BatchNorm draws nothing: make(true) and make(false) after one seed are
-- the same weights.
local function make(sync)
  return lunet.Sequential{lunet.Linear(6, 8), lunet.BatchNorm(8, {sync = sync}), lunet.ReLU(),
                          lunet.Linear(8, 3)}
end

lunet.manual_seed(1)
local xs, ys = {}, {}
for s = 1, 2 * HALF do
  xs[s] = lunet.randn(GLOBAL, 6)
  ys[s] = lunet.randn(GLOBAL, 3)
end
local loss = lunet.MSELoss()
local function step(net, opt, x, y)
  opt:zero_grad()
  local out = net:forward(x)
  loss:forward(out, y)
  net:backward(x, loss:backward(out, y))
  opt:step()
end

-- This rank's share of step s.
local function share(s)
  return xs[s]:narrow(1, (r - 1) * B + 1, B), ys[s]:narrow(1, (r - 1) * B + 1, B)
end

if phase == "save" then
  lunet.manual_seed(100)
  local net = make(true)
  local ddp = dist.DataParallel(net)
  local opt = lunet.optim.SGD(ddp, {lr = 0.05, momentum = 0.9})
  for s = 1, HALF do step(ddp, opt, share(s)) end
  if r == 1 then lunet.save(path, {net = ddp, opt = opt}) end
  dist.barrier()
  T.check("rank 1 saved the checkpoint", io.open(path, "rb") ~= nil)
else
  -- the reference: one process (plain BatchNorm), the whole batches, all the steps
  lunet.manual_seed(100)
  local ref = make(false)
  local opt_ref = lunet.optim.SGD(ref, {lr = 0.05, momentum = 0.9})
  for s = 1, 2 * HALF do step(ref, opt_ref, xs[s], ys[s]) end
  local ck = lunet.load(path)
  local ddp = dist.DataParallel(ck.net)
  for s = HALF + 1, 2 * HALF do step(ddp, ck.opt, share(s)) end
  local got, want = ck.net:state_dict(), ref:state_dict()
  for k, v in pairs(want) do
    T.close(("%s after %d + %d steps, resumed on %d rank(s)"):format(k, HALF, HALF, n),
            got[k], v, TOL)
  end
  T.check("the momentum came back with the optimizer",
          ck.opt:state_dict().state ~= nil and next(ck.opt:state_dict().state) ~= nil)
end
T.finish()
