-- SyncBatchNorm on each rank's rows of a global batch against BatchNorm on
-- the whole batch: outputs, input gradients, the weight and bias gradients
-- (summed over the ranks) and the running statistics, to 1e-5 relative,
-- for (N,C), (N,C,L) and (N,C,H,W) inputs; ranks hold different numbers of
-- rows (rank r: 2 + r).
local lunet = require "lunet"
package.path = "tests/dist/?.lua;" .. package.path
local T = require "lib"
local dist = lunet.dist
local r, n = dist.rank(), dist.size()
local TOL = 1e-5

local first, total = 1, 0  -- this rank's rows: first .. first + rows - 1
for k = 1, n do
  if k < r then first = first + 2 + k end
  total = total + 2 + k
end
local rows = 2 + r
local function mine(t) return t:narrow(1, first, rows):clone() end

for _, shape in ipairs({{5}, {3, 4}, {4, 3, 2}}) do
  local c = shape[1]
  local full = {total}
  for _, s in ipairs(shape) do full[#full + 1] = s end
  local name = table.concat(full, "x")
  lunet.manual_seed(7)  -- every rank draws the same global batch
  local ref = lunet.BatchNorm(c, {momentum = 0.3})
  local bn = lunet.BatchNorm(c, {momentum = 0.3, sync = true})
  ref.weight:copy(lunet.rand(c) + 0.5)
  ref.bias:copy(lunet.randn(c))
  bn.weight:copy(ref.weight)
  bn.bias:copy(ref.bias)
  for step = 1, 2 do
    local x = lunet.randn(table.unpack(full)) * 2 + 3
    local dy = lunet.randn(table.unpack(full))
    ref:zero_grad()
    bn:zero_grad()
    local y = ref:forward(x)
    local dx = ref:backward(x, dy)
    local xs = mine(x)
    local ys = bn:forward(xs)
    local dxs = bn:backward(xs, mine(dy))
    local at = (" %s step %d"):format(name, step)
    T.close("output" .. at, ys, mine(y), TOL)
    T.close("input gradient" .. at, dxs, mine(dx), TOL)
    local dw, db = bn.grad.weight:clone(), bn.grad.bias:clone()
    dist.all_reduce(dw, "sum")
    dist.all_reduce(db, "sum")
    T.close("weight gradient" .. at, dw, ref.grad.weight, TOL)
    T.close("bias gradient" .. at, db, ref.grad.bias, TOL)
    T.close("running_mean" .. at, bn.running_mean, ref.running_mean, TOL)
    T.close("running_var" .. at, bn.running_var, ref.running_var, TOL)
  end
  ref:evaluate()
  bn:evaluate()
  local x = lunet.randn(table.unpack(full))
  T.close("evaluation output " .. name, bn:forward(mine(x)), mine(ref:forward(x)), TOL)
end

-- Without sync each rank normalizes its own rows.
lunet.manual_seed(3)
local x = lunet.randn(total, 4) + 1
local own = lunet.BatchNorm(4)
T.close("without sync, this rank's statistics", own:forward(mine(x)),
        lunet.BatchNorm(4):forward(mine(x)), 0)
T.check("sync shows in the description",
        tostring(lunet.BatchNorm(2, {sync = true})):find("sync=true") ~= nil)
T.finish()
