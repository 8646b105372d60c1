-- tensor_api_spec.lua: what a Torch7 or PyTorch user reaches for first:
-- inferred sizes (-1) in view and reshape, the lunet.Tensor constructor,
-- fill_/zero_/uniform_/normal_, flatten, view_as, expand_as, square and
-- reciprocal (bit for bit PyTorch's, tests/fixtures/gen_tensor_api.py),
-- type(), one format for dimension errors, and NaN shown as "nan".
local lunet = require "lunet"

package.path = "tests/spec/?.lua;" .. package.path
local h = require "tensor_helpers"(assert)
local fails, same, closing = h.fails, h.same, h.closing

local function range(...)
  local n = 1
  for _, s in ipairs{...} do n = n * s end
  return lunet.arange(1, n + 1):view(...)
end

describe("view and reshape with a size of -1", function()
  it("infers the one size left, wherever it is", function()
    local t = range(2, 3, 4)
    assert.are.same({24}, t:view(-1):size())
    assert.are.same({2, 12}, t:view(2, -1):size())
    assert.are.same({6, 4}, t:view(-1, 4):size())
    assert.are.same({2, 3, 4}, t:view{2, -1, 4}:size())
    assert.are.same({4, 6}, t:reshape(-1, 6):size())
    assert.are.same({24, 1}, t:view(-1, 1):size())
  end)

  it("gives a view sharing storage, a reshape of a transpose a copy", function()
    local t = range(2, 3)
    local v = t:view(-1)
    v[1] = 100
    assert.are.equal(100, t:get(1, 1))
    local r = t:t():reshape(-1)
    same(r, {100, 4, 2, 5, 3, 6})
    fails(function() t:t():view(-1) end, "Tensor:view: the tensor is not contiguous")
  end)

  it("refuses two -1 and sizes that do not divide the count, naming the method", function()
    local t = range(2, 3)
    fails(function() t:view(-1, -1) end, "Tensor:view: only one size can be -1, got sizes 1 and 2")
    fails(function() t:reshape(2, -1, -1) end,
          "Tensor:reshape: only one size can be -1, got sizes 2 and 3")
    fails(function() t:view(4, -1) end,
          "Tensor:view: cannot view a 2x3 tensor (6 elements) with a size of -1: 6 is not a"
          .. " multiple of 4")
    fails(function() t:reshape(-1, 5) end, "Tensor:reshape: cannot view a 2x3 tensor")
    fails(function() t:view(-2, 3) end, "Tensor:view: size 1 must be positive, got -2")
    fails(function() t:view(0, -1) end, "Tensor:view: size 1 must be positive, got 0")
    fails(function() t:view(7) end, "Tensor:view: cannot view a 2x3 tensor (6 elements) with 7")
  end)

  it("converts a sizes table before reading the tensor", function()
    local t = lunet.zeros(2, 3)
    fails(function() t:view(closing(t, {-1})) end, "tensor has been freed")
  end)
end)

describe("lunet.Tensor", function()
  it("of sizes is zeros, as lunet.zeros", function()
    local t = lunet.Tensor(2, 3)
    assert.are.same({2, 3}, t:size())
    same(t, {{0, 0, 0}, {0, 0, 0}})
    assert.are.same({4}, lunet.Tensor(4):size())
    assert.is_true(lunet.is_tensor(t))
  end)

  it("of a table is lunet.tensor", function()
    same(lunet.Tensor{1, 2, 3}, {1, 2, 3})
    same(lunet.Tensor{{1, 2}, {3, 4}}, {{1, 2}, {3, 4}})
    fails(function() lunet.Tensor{{1, 2}, {3}} end, "lunet.Tensor: ragged table")
    fails(function() lunet.Tensor{} end, "lunet.Tensor: empty table at depth 1")
    fails(function() lunet.Tensor{1, "a"} end, "lunet.Tensor: element 2 at depth 1 is string")
  end)

  it("of a tensor is a view of it sharing storage, strides and all", function()
    local t = range(2, 3)
    local tt = t:t()
    local v = lunet.Tensor(tt)
    assert.are.same(tt:size(), v:size())
    assert.are.same(tt:stride(), v:stride())
    v[{1, 2}] = 50
    assert.are.equal(50, t:get(2, 1))
    t:fill(7)
    assert.are.equal(7, v:get(3, 2))
    assert.are_not.equal(tt, v)
  end)

  it("refuses nothing, extra arguments and other types", function()
    fails(function() lunet.Tensor() end, "lunet.Tensor: expected sizes, a table of numbers or"
          .. " a tensor")
    fails(function() lunet.Tensor(lunet.zeros(2), 3) end, "lunet.Tensor: unexpected argument #2")
    fails(function() lunet.Tensor({1}, 2) end, "lunet.Tensor: unexpected argument #2")
    fails(function() lunet.Tensor(0) end, "lunet.Tensor: size 1 must be positive, got 0")
    fails(function() lunet.Tensor("x") end, "bad argument #1")
    fails(function() lunet.Tensor(h.closed()) end, "tensor has been freed")
  end)
end)

describe("fill_, zero_, uniform_ and normal_", function()
  it("fill_ and zero_ are fill and zero, in place, returning t", function()
    local t = lunet.zeros(2, 2)
    assert.are.equal(t, t:fill_(3))
    same(t, {{3, 3}, {3, 3}})
    assert.are.equal(t, t:zero_())
    same(t, {{0, 0}, {0, 0}})
    local base = lunet.ones(3, 3)
    base:narrow(2, 2, 1):zero_()
    same(base, {{1, 0, 1}, {1, 0, 1}, {1, 0, 1}})
    fails(function() t:fill_() end, "bad argument #1 to 'fill_'")
    fails(function() t:zero_(1) end, "Tensor:zero_: unexpected argument #2")
    fails(function() t.fill_(2) end, "call it as t:fill_(...)")
  end)

  it("draw what lunet.rand and lunet.randn draw, in row-major order", function()
    lunet.manual_seed(5)
    local u = lunet.rand(3, 4)
    lunet.manual_seed(5)
    local t = lunet.zeros(3, 4)
    assert.are.equal(t, t:uniform_())
    assert.is_true(t:equal(u))
    lunet.manual_seed(5)
    local n = lunet.randn(5, 3)
    lunet.manual_seed(5)
    assert.is_true(lunet.zeros(5, 3):normal_():equal(n))
    -- A transposed view is filled in its own index order.
    lunet.manual_seed(6)
    local want = lunet.rand(4, 3)
    lunet.manual_seed(6)
    local base = lunet.zeros(3, 4)
    base:t():uniform_()
    assert.is_true(base:t():equal(want))
  end)

  it("scale as lunet.init.uniform and lunet.init.normal do", function()
    lunet.manual_seed(9)
    local a = lunet.zeros(100):uniform_(-2, 3)
    lunet.manual_seed(9)
    local b = lunet.zeros(100)
    lunet.init.uniform(b, -2, 3)
    assert.is_true(a:equal(b))
    assert.is_true(a:min() >= -2 and a:max() < 3)
    lunet.manual_seed(9)
    a = lunet.zeros(100):normal_(10, 0.5)
    lunet.manual_seed(9)
    b = lunet.zeros(100)
    lunet.init.normal(b, 10, 0.5)
    assert.is_true(a:equal(b))
  end)

  it("refuse bad bounds (nan shown as nan) and expanded tensors", function()
    local t = lunet.zeros(3)
    fails(function() t:uniform_(2, 1) end, "Tensor:uniform_: expects a finite range a <= b,"
          .. " got [2.0, 1.0)")
    fails(function() t:uniform_(0, 0 / 0) end, "got [0.0, nan)")
    fails(function() t:normal_(0, -1) end, "Tensor:normal_: expects a finite mean and a finite"
          .. " std >= 0, got mean 0.0 std -1.0")
    fails(function() t:normal_(0 / 0) end, "got mean nan std 1.0")
    fails(function() t:normal_(0, 1, 2) end, "Tensor:normal_: unexpected argument #4")
    fails(function() lunet.zeros(1):expand(3):uniform_() end, "Tensor:uniform_:")
  end)
end)

describe("flatten, view_as and expand_as", function()
  it("flatten joins dimensions start_dim..end_dim", function()
    local t = range(2, 3, 4, 5)
    assert.are.same({120}, t:flatten():size())
    assert.are.same({2, 60}, t:flatten(2):size())
    assert.are.same({2, 12, 5}, t:flatten(2, 3):size())
    assert.are.same({6, 4, 5}, t:flatten(1, 2):size())
    assert.are.same({2, 3, 20}, t:flatten(-2, -1):size())
    assert.are.same({2, 3, 4, 5}, t:flatten(3, 3):size())
    assert.are.same({7}, lunet.zeros(7):flatten():size())
    local f = t:flatten()
    f[120] = -1
    assert.are.equal(-1, t:get(2, 3, 4, 5))
  end)

  it("flatten copies a transpose as reshape does", function()
    local t = range(2, 3)
    same(t:t():flatten(), {1, 4, 2, 5, 3, 6})
  end)

  it("flatten refuses bad dimensions in one format", function()
    local t = lunet.zeros(2, 3)
    fails(function() t:flatten(2, 1) end, "Tensor:flatten: start_dim 2 comes after end_dim 1")
    fails(function() t:flatten(3) end, "Tensor:flatten: dimension 3 out of range (1..2)")
    fails(function() t:flatten(1, 2, 3) end, "Tensor:flatten: unexpected argument #4")
  end)

  it("view_as and expand_as take the other tensor's sizes", function()
    local t = range(2, 3)
    local v = t:view_as(lunet.zeros(3, 2))
    assert.are.same({3, 2}, v:size())
    v[{3, 2}] = 9
    assert.are.equal(9, t:get(2, 3))
    local row = lunet.tensor{{1, 2, 3}}
    local e = row:expand_as(t)
    assert.are.same({2, 3}, e:size())
    assert.are.same({0, 1}, e:stride())
    same(e, {{1, 2, 3}, {1, 2, 3}})
    fails(function() t:view_as(lunet.zeros(4)) end, "Tensor:view_as: cannot view a 2x3 tensor")
    fails(function() t:expand_as(lunet.zeros(4, 4)) end, "Tensor:expand_as: cannot expand")
    fails(function() t:view_as(2) end, "bad argument #1 to 'view_as'")
    fails(function() t:view_as(h.closed()) end, "tensor has been freed")
  end)
end)

describe("square and reciprocal", function()
  local fx = dofile("tests/fixtures/tensor_api.lua")

  it("are PyTorch's bit for bit over the float32 range", function()
    local x = lunet.tensor(fx.x)
    assert.is_true(x:square():equal(lunet.tensor(fx.square)), "square")
    assert.is_true(x:reciprocal():equal(lunet.tensor(fx.reciprocal)), "reciprocal")
    -- The signs of the zeros and infinities too (equal says 0 == -0).
    local r = x:reciprocal()
    for i = 1, 2 do
      assert.are.equal(1 / fx.reciprocal[i], 1 / r[i])
    end
    local y = x:clone()
    assert.are.equal(y, y:square_())
    assert.is_true(y:equal(lunet.tensor(fx.square)))
    y = x:clone()
    assert.are.equal(y, y:reciprocal_())
    assert.is_true(y:equal(lunet.tensor(fx.reciprocal)))
  end)

  it("work on strided views and refuse what in-place arithmetic refuses", function()
    local t = range(3, 4):t()
    same(t:square(), (t * t):totable())
    same(lunet.tensor{2, 4}:reciprocal(), {0.5, 0.25})
    fails(function() lunet.zeros(1):expand(3):square_() end, "Tensor:square_:")
    fails(function() t:square(2) end, "Tensor:square: unexpected argument #2")
    fails(function() t.reciprocal() end, "call it as t:reciprocal(...)")
  end)
end)

describe("type", function()
  it("is the class name tostring shows", function()
    local t = lunet.zeros(2)
    assert.are.equal("lunet.Tensor", t:type())
    assert.truthy(tostring(t):find("[" .. t:type() .. " of size 2]", 1, true))
    fails(function() t:type("torch.DoubleTensor") end, "Tensor:type: unexpected argument #2")
  end)
end)

describe("dimension errors", function()
  it("have one format, naming the method", function()
    local x = lunet.zeros(2, 3)
    for _, c in ipairs{
      {function() x:narrow(3, 1, 1) end, "Tensor:narrow: dimension 3 out of range (1..2)"},
      {function() x:size(3) end, "Tensor:size: dimension 3 out of range (1..2)"},
      {function() x:stride(-3) end, "Tensor:stride: dimension -3 out of range (1..2)"},
      {function() x:transpose(1, 3) end, "Tensor:transpose: dimension 3 out of range (1..2)"},
      {function() x:select(0, 1) end, "Tensor:select: dimension 0 out of range (1..2)"},
      {function() x:permute(1, 5) end, "Tensor:permute: dimension 5 out of range (1..2)"},
      {function() x:squeeze(3) end, "Tensor:squeeze: dimension 3 out of range (1..2)"},
      {function() x:unsqueeze(4) end, "Tensor:unsqueeze: dimension 4 out of range (1..3)"},
      {function() x:sum(3) end, "Tensor:sum: dimension 3 out of range (1..2)"},
      {function() x:cumsum(-3) end, "Tensor:cumsum: dimension -3 out of range (1..2)"},
      {function() lunet.cat({x, x}, 3) end, "lunet.cat: dimension 3 out of range (1..2)"},
      {function() x:narrow("a", 1, 1) end, "Tensor:narrow: dimension must be an integer, got"
       .. " string"},
      {function() x:size(1.5) end, "Tensor:size: dimension must be an integer, got 1.5"},
      {function() x:size(0 / 0) end, "Tensor:size: dimension must be an integer, got nan"},
      {function() x:narrow(1, 0, 1) end, "Tensor:narrow: start must be >= 1, got 0"},
      {function() x:narrow(1, 1, 0) end, "Tensor:narrow: length must be >= 1, got 0"},
    } do
      fails(c[1], c[2])
    end
  end)
end)

describe("NaN in messages", function()
  it("is nan, never -nan", function()
    local nan = 0 / 0
    for _, c in ipairs{
      {function() lunet.Dropout(nan) end, "lunet.Dropout: p must be in [0, 1], got nan"},
      {function() lunet.zeros(2, 2):gather(1, lunet.tensor{{nan, 1}}) end,
       "Tensor:gather: index nan is not an integer"},
      {function() lunet.zeros(2):bernoulli(nan) end, "probability nan is not in [0, 1]"},
      {function() return lunet.zeros(2)[{nan}] end, "must be an integer, got nan"},
    } do
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.is_nil(tostring(err):find("-nan", 1, true), err)
      fails(c[1], c[2])
    end
  end)

  it("is nan in the numbers lunet hands to Lua (print(loss) as PyTorch)", function()
    -- x86's 0/0 has its sign bit set: Lua's own tostring(0/0) is "-nan".
    local x = lunet.tensor{{0 / 0, 1}}
    local v = x:view(-1)
    local net = lunet.Linear(2, 1)
    net:forward(x)
    net:backward(x, lunet.ones(1, 1))
    for name, n in pairs{
      sum = x:sum(), mean = x:mean(), max = x:max(), sum2 = x:sum(2):item(),
      get = x:get(1, 1), index = x[1][1], index_table = x[{1, 1}], select = v:select(1, 1),
      totable = x:totable()[1][1], item = x:narrow(2, 1, 1):item(), dot = v:dot(v),
      sqrt = lunet.tensor{-1}:sqrt()[1], values = v:max(1),
      loss = lunet.MSELoss()(x, lunet.zeros(1, 2)),
      clip = lunet.clip_grad_norm(net, 1),
    } do
      assert.are.equal("nan", tostring(n), name)
    end
  end)

  it("prints as nan in a tensor", function()
    local s = tostring(lunet.tensor{0 / 0, -(0 / 0), 1})
    assert.is_nil(s:find("-nan", 1, true), s)
    assert.truthy(s:find(" nan nan   1", 1, true), s)
  end)
end)
