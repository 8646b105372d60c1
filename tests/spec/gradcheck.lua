-- gradcheck.lua: what the module specs share: the finite-difference
-- gradient check (the loss is sum(y * r) for a fixed random r, so dL/dy = r)
-- and errors_with.
local lunet = require "lunet"
local M = {}

local function flat(t) return t:view(t:numel()) end

local function loss(net, x, r) return (net:forward(x) * r):sum() end

-- Largest relative difference between backward's gradients (every
-- parameter, and the input) and central differences with step h.
function M.check(net, x, h)
  h = h or 1e-2
  local r = lunet.randn(table.unpack(net:forward(x):size()))
  net:zero_grad()
  net:forward(x)
  local dx = net:backward(x, r):clone()
  local params, grads = net:parameters()
  local targets, analytic = {}, {}
  for i, p in ipairs(params) do targets[i], analytic[i] = p, grads[i]:clone() end
  targets[#targets + 1], analytic[#analytic + 1] = x, dx
  local worst = 0
  for i, t in ipairs(targets) do
    local ft, fa = flat(t), flat(analytic[i])
    for k = 1, t:numel() do
      local v = ft:get(k)
      ft:set(k, v + h)
      local up = loss(net, x, r)
      ft:set(k, v - h)
      local down = loss(net, x, r)
      ft:set(k, v)
      local num, ana = (up - down) / (2 * h), fa:get(k)
      local d = math.abs(num - ana) / math.max(1, math.abs(num), math.abs(ana))
      if d > worst then worst = d end
    end
  end
  return worst
end

-- Runs f, which must raise an error containing part (plain error(): this
-- file is loaded outside busted's environment).
function M.errors_with(f, part)
  local ok, err = pcall(f)
  if ok then error("expected an error containing: " .. part, 2) end
  if not tostring(err):find(part, 1, true) then
    error(("the error %q lacks %q"):format(tostring(err), part), 2)
  end
end

return M
