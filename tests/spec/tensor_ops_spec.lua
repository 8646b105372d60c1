-- tensor_ops_spec.lua: elementwise operations, broadcasting, masks and
-- where against PyTorch's results (tests/fixtures/tensor_ops.lua, made by
-- tests/fixtures/gen_tensor_ops.py) on operands of 1 to 6 dimensions that
-- are contiguous, narrowed, permuted or expanded views.
local lunet = require "lunet"
local cases = dofile("tests/fixtures/tensor_ops.lua")

-- The operand a fixture describes: its base tensor, then the view steps.
local function operand(o)
  if type(o) == "number" then return o end
  local t = lunet.tensor(o.data):view(o.shape)
  for _, s in ipairs(o.steps) do
    t = t[s[1]](t, table.unpack(s, 2))
  end
  return t
end

local calls = {
  where = function(a) return lunet.where(a[1], a[2], a[3]) end,
  allclose = function(a) return lunet.allclose(a[1], a[2]) end,
  maximum = function(a) return lunet.maximum(a[1], a[2]) end,
  minimum = function(a) return lunet.minimum(a[1], a[2]) end,
  masked_fill = function(a, args) return a[1]:masked_fill(a[2], args[1]) end,
  clamp = function(a, args) return a[1]:clamp(args[1], args[2]) end,
  reshape = function(a) return a[1]:reshape(a[1]:numel()) end,
}

local function call(c, a)
  if calls[c.op] then return calls[c.op](a, c.args) end
  if type(a[1]) == "number" then  -- number op tensor: the operator form
    local ops = {add = "__add", sub = "__sub", mul = "__mul", div = "__div", pow = "__pow"}
    return getmetatable(a[2])[ops[c.op]](a[1], a[2])
  end
  return a[1][c.op](a[1], table.unpack(a, 2))
end

-- Largest |got - want| / max(|want|, 1e-30) of two flat lists; NaN must
-- meet NaN and an infinity the same infinity.
local function worst_error(got, want)
  local worst = 0
  for i = 1, #want do
    local g, w = got[i], want[i]
    if w ~= w then
      assert(g ~= g, ("element %d: got %s, want nan"):format(i, g))
    elseif w == math.huge or w == -math.huge then
      assert(g == w, ("element %d: got %s, want %s"):format(i, g, w))
    else
      worst = math.max(worst, math.abs(g - w) / math.max(math.abs(w), 1e-30))
    end
  end
  return worst
end

local function flat(t) return t:reshape(t:numel()):totable() end

describe("tensor operations against PyTorch", function()
  local worst, strided = {}, 0
  for k, c in ipairs(cases) do
    it(("%d %s of %d operand(s)"):format(k, c.op, #c.operands), function()
      local a = {}
      for i, o in ipairs(c.operands) do a[i] = operand(o) end
      for i = 1, #a do
        if type(a[i]) ~= "number" and not a[i]:is_contiguous() then strided = strided + 1 end
      end
      local got = call(c, a)
      local w = c.want
      if w.bool ~= nil then
        assert.are.equal(w.bool, got)
      elseif w.none then
        assert.is_nil(got)
      elseif w.number then
        assert(math.abs(got - w.number) <= 1e-6 * math.max(1, math.abs(w.number)))
      else
        assert.are.same(w.shape, got:size())
        local e = worst_error(flat(got), w.data)
        worst[c.op] = math.max(worst[c.op] or 0, e)
        -- exact operations to 1 ulp-ish; transcendental ones as libm vs PyTorch
        assert(e <= 1e-6, ("%s: relative error %.3g"):format(c.op, e))
      end
    end)
  end

  it("reports the largest relative error of each operation", function()
    local names = {}
    for k in pairs(worst) do names[#names + 1] = k end
    table.sort(names)
    local line = {}
    for _, k in ipairs(names) do line[#line + 1] = ("%s %.2g"):format(k, worst[k]) end
    print("\nlargest relative error vs PyTorch: " .. table.concat(line, ", "))
    print(("%d cases, %d strided operands"):format(#cases, strided))
    assert.is_true(#names > 20 and strided > 100)
  end)
end)
