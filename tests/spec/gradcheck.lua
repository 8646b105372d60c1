-- gradcheck.lua: what the module specs share: the finite-difference
-- gradient check (the loss is sum(y * r) for a fixed random r, so dL/dy = r)
-- and errors_with, the fixture helpers make and agree, roundtrip, sorted_keys.
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

-- The module a fixture case names: lunet[c.kind](c.args..., c.opts).
function M.make(c)
  local args = {}
  for i, a in ipairs(c.args) do args[i] = a end
  if next(c.opts) then args[#args + 1] = c.opts end
  return lunet[c.kind](table.unpack(args, 1, #args))
end

-- Largest |got - want| / |want| over a flat list want, |want| floored at
-- floor times the largest (values that are ~0); raises above rtol.
function M.agree(got, want, what, rtol, floor)
  if #want ~= got:numel() then
    error(("%s: %d elements, PyTorch %d"):format(what, got:numel(), #want), 2)
  end
  local g = got:contiguous():view(got:numel()):totable()
  local maxabs = 0
  for i = 1, #want do maxabs = math.max(maxabs, math.abs(want[i])) end
  local rel, at = 0, 1
  for i = 1, #want do
    local r = math.abs(g[i] - want[i]) / math.max(math.abs(want[i]), floor * maxabs, 1e-30)
    if r > rel then rel, at = r, i end
  end
  if rel > rtol then
    error(("%s: element %d is %.9g, PyTorch %.9g (relative %.2e)"):format(what, at, g[at],
      want[at], rel), 2)
  end
  return rel
end

-- m saved with lunet.save and loaded back.
function M.roundtrip(m)
  local p = os.tmpname()
  lunet.save(p, m)
  local back = lunet.load(p)
  os.remove(p)
  return back
end

-- The keys of t, sorted.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

return M
