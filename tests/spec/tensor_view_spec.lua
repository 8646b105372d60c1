-- tensor_view_spec.lua: strided views (each written through both ways),
-- contiguity, 8-D tensors, strided input to every operation, and printing.
local lunet = require "lunet"

package.path = "tests/spec/?.lua;" .. package.path
local h = require "tensor_helpers"(assert)
local fails, same, closing = h.fails, h.same, h.closing

-- 2x3x4 with t[i][j][k] = 100 i + 10 j + k (1-based).
local function cube()
  local rows = {}
  for i = 1, 2 do
    rows[i] = {}
    for j = 1, 3 do
      rows[i][j] = {}
      for k = 1, 4 do rows[i][j][k] = 100 * i + 10 * j + k end
    end
  end
  return lunet.tensor(rows)
end

describe("tensor views", function()
  -- view(t) returns a view v and a function giving, for 1-based indices of v,
  -- the indices of the same element in t.
  local cases = {
    {"transpose(1, 3)", function(t) return t:transpose(1, 3) end,
     function(i, j, k) return k, j, i end},
    {"transpose(-1, 2)", function(t) return t:transpose(-1, 2) end,
     function(i, j, k) return i, k, j end},
    {"permute(3, 1, 2)", function(t) return t:permute(3, 1, 2) end,
     function(i, j, k) return j, k, i end},
    {"permute{2, 3, 1}", function(t) return t:permute{2, 3, 1} end,
     function(i, j, k) return k, i, j end},
    {"narrow(3, 2, 2)", function(t) return t:narrow(3, 2, 2) end,
     function(i, j, k) return i, j, k + 1 end},
    {"narrow(-2, 3, 1)", function(t) return t:narrow(-2, 3, 1) end,
     function(i, j, k) return i, j + 2, k end},
    {"select(2, 3)", function(t) return t:select(2, 3) end,
     function(i, k) return i, 3, k end},
    {"select(-1, 4)", function(t) return t:select(-1, 4) end,
     function(i, j) return i, j, 4 end},
    {"unsqueeze(2)", function(t) return t:unsqueeze(2) end,
     function(i, _, j, k) return i, j, k end},
    {"unsqueeze(-1)", function(t) return t:unsqueeze(-1) end,
     function(i, j, k) return i, j, k end},
    {"narrow then squeeze", function(t) return t:narrow(2, 2, 1):squeeze() end,
     function(i, k) return i, 2, k end},
    {"squeeze(2) of a narrow", function(t) return t:narrow(2, 3, 1):squeeze(2) end,
     function(i, k) return i, 3, k end},
    {"expand of a narrow", function(t) return t:narrow(1, 2, 1):expand(5, 3, 4) end,
     function(_, j, k) return 2, j, k end},
    {"expand(4, -1, -1, 5) of a column", function(t)
       return t:narrow(3, 1, 1):expand(4, -1, -1, 5) end,
     function(_, b, c) return b, c, 1 end},
    {"view(6, 4)", function(t) return t:view(6, 4) end,
     function(r, k) return (r - 1) // 3 + 1, (r - 1) % 3 + 1, k end},
    {"reshape{4, 6} (a view when contiguous)", function(t) return t:reshape{4, 6} end,
     function(a, b)
       local f = (a - 1) * 6 + b - 1
       return f // 12 + 1, (f % 12) // 4 + 1, f % 4 + 1
     end},
    {"t() of a select", function(t) return t:select(1, 2):t() end,
     function(k, j) return 2, j, k end},
    {"a view of a view of a view", function(t)
       return t:transpose(1, 2):narrow(1, 2, 2):select(3, 1) end,
     function(j, i) return i, j + 1, 1 end},
  }

  -- Every index tuple of a tensor of sizes s.
  local function each_index(s, fn, idx, d)
    idx, d = idx or {}, d or 1
    if d > #s then return fn(table.unpack(idx)) end
    for i = 1, s[d] do
      idx[d] = i
      each_index(s, fn, idx, d + 1)
    end
  end

  for _, c in ipairs(cases) do
    it(c[1] .. " reads, and writes both ways, through the storage", function()
      local t = cube()
      local v = c[2](t)
      each_index(v:size(), function(...)
        assert.are.equal(t:get(c[3](...)), v:get(...))
      end)
      -- writing the view changes the base
      local function with(v, ...)  -- (..., v): set's arguments
        local a = table.pack(...)
        a[a.n + 1] = v
        return table.unpack(a, 1, a.n + 1)
      end
      each_index(v:size(), function(...)
        v:set(with(-7, ...))
        assert.are.equal(-7, t:get(c[3](...)))
        t:set(with(5, c[3](...)))
        assert.are.equal(5, v:get(...))
      end)
      v:fill(9)
      each_index(v:size(), function(...) assert.are.equal(9, t:get(c[3](...))) end)
    end)
  end

  it("stride, is_contiguous and contiguous", function()
    local t = cube()
    assert.are.same({12, 4, 1}, t:stride())
    assert.are.equal(4, t:stride(2))
    assert.are.equal(1, t:stride(-1))
    assert.is_true(t:is_contiguous())
    local v = t:transpose(1, 2)
    assert.are.same({4, 12, 1}, v:stride())
    assert.is_false(v:is_contiguous())
    assert.are.same({0, 4, 1}, t:narrow(1, 1, 1):expand(3, 3, 4):stride())
    assert.is_true(rawequal(t:contiguous(), t), "contiguous of a contiguous tensor is itself")
    local c = v:contiguous()
    assert.is_true(c:is_contiguous())
    assert.are.same({3, 2, 4}, c:size())
    assert.are.same(v:totable(), c:totable())
    c:fill(0)  -- a copy: the base is untouched
    assert.are.equal(111, t:get(1, 1, 1))
  end)

  it("view of a non-contiguous tensor is an error; reshape copies", function()
    local t = cube()
    fails(function() t:t() end, "Tensor:t: expects a tensor of 1 or 2 dimensions, got 3")
    fails(function() t:transpose(1, 2):view(24) end,
          "Tensor:view: the tensor is not contiguous", "call contiguous() first, or reshape")
    local r = t:transpose(1, 2):reshape(24)
    assert.are.equal(24, r:numel())
    assert.are.equal(111, r:get(1))
    assert.are.equal(211, r:get(5))  -- row-major order of the transpose
    r:fill(0)
    assert.are.equal(211, t:get(2, 1, 1))
    fails(function() t:reshape(5) end, "Tensor:reshape: cannot view a 2x3x4 tensor")
  end)

  it("1-D select is the element; t() of 1-D is itself", function()
    local v = lunet.tensor{5, 6, 7}
    assert.are.equal(6, v:select(1, 2))
    assert.are.equal(7, v:select(1, -1))
    same(v:t(), {5, 6, 7})
    same(lunet.tensor{{1, 2}, {3, 4}}:t(), {{1, 3}, {2, 4}})
  end)

  it("bad dimensions and indices name the method", function()
    local t = cube()
    fails(function() t:transpose(1, 4) end, "Tensor:transpose: dimension 4 out of range (1..3)")
    fails(function() t:narrow(0, 1, 1) end, "Tensor:narrow: dimension 0 out of range (1..3)")
    fails(function() t:narrow(2, 3, 2) end, "Tensor:narrow: indices 3..4 out of range 1..3")
    fails(function() t:select(2, 4) end, "Tensor:select: index 4 out of range 1..3 in dimension 2")
    fails(function() t:select(4, 1) end, "Tensor:select: dimension 4 out of range (1..3)")
    fails(function() t:permute(1, 2) end, "Tensor:permute: 2 dimensions for a 3-D tensor")
    fails(function() t:permute(1, 1, 2) end, "Tensor:permute: dimension 1 appears twice")
    fails(function() t:permute{1, 2, 5} end, "Tensor:permute: entry 3 is not a dimension 1..3")
    fails(function() t:unsqueeze(5) end, "Tensor:unsqueeze: dimension 5 out of range (1..4)")
    fails(function() t:expand(2, 2, 4) end, "Tensor:expand: cannot expand a 2x3x4 tensor to 2x2x4")
    fails(function() t:expand(3, 4) end, "to fewer dimensions")
    fails(function() t:expand(-1, 2, 3, 4) end, "size 1 is -1 but the tensor has no dimension")
    fails(function() t:squeeze(1, 2) end, "Tensor:squeeze: unexpected argument #3")
    fails(function() t:transpose(1, 2, 3) end, "Tensor:transpose: unexpected argument #4")
    fails(function() t:contiguous(1) end, "Tensor:contiguous: unexpected argument #2")
    fails(function() t:stride(1, 2) end, "Tensor:stride: unexpected argument #3")
    fails(function() t:narrow(1, 1, 1, 1) end, "Tensor:narrow: unexpected argument #5")
    fails(function() t:view({24}, 1) end, "Tensor:view: unexpected argument #3")
    fails(function() t.transpose(1, 2) end, "lunet.Tensor expected, got number")
  end)

  it("a sizes or dimensions table that closes the tensor is caught", function()
    local t = cube()
    fails(function() t:view(closing(t, {24})) end, "tensor has been freed")
    t = cube()
    fails(function() t:reshape(closing(t, {4, 6})) end, "tensor has been freed")
    t = cube()
    fails(function() t:expand(closing(t, {2, 2, 3, 4})) end, "tensor has been freed")
    t = cube()
    fails(function() t:permute(closing(t, {3, 2, 1})) end, "tensor has been freed")
  end)
end)

describe("8-D tensors", function()
  it("construct, view, print and reduce", function()
    local z = lunet.ones(1, 2, 1, 2, 1, 2, 1, 2)
    assert.are.equal(8, z:dim())
    assert.are.equal(16, z:sum())
    local n = lunet.tensor{{{{{{{{1, 2}}}}}}}}
    assert.are.same({1, 1, 1, 1, 1, 1, 1, 2}, n:size())
    assert.are.equal(2, n:squeeze():numel())
    local s = tostring(z)
    assert.truthy(s:find("(1,2,1,2,1,2,.,.) =", 1, true), s)
    assert.truthy(s:find("[lunet.Tensor of size 1x2x1x2x1x2x1x2]", 1, true), s)
    fails(function() z:unsqueeze(1) end, "Tensor:unsqueeze: a tensor has at most 8 dimensions")
    fails(function() lunet.zeros{1, 1, 1, 1, 1, 1, 1, 1, 1} end, "expected 1 to 8 sizes, got 9")
  end)
end)

describe("operations on strided input", function()
  it("reductions, clone, totable, copy, arithmetic and argmax", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    local v = t:t()  -- {{1, 4}, {2, 5}, {3, 6}}
    same(v, {{1, 4}, {2, 5}, {3, 6}})
    same(v:clone(), {{1, 4}, {2, 5}, {3, 6}})
    assert.is_true(v:clone():is_contiguous())
    local c = t:narrow(2, 2, 2)  -- {{2, 3}, {5, 6}}
    assert.are.equal(16, c:sum())
    assert.are.equal(4, c:mean())
    assert.are.equal(2, c:min())
    assert.are.equal(6, c:max())
    same(c:argmax(2), {2, 2})
    same(v + 10, {{11, 14}, {12, 15}, {13, 16}})
    same(v * v, {{1, 16}, {4, 25}, {9, 36}})
    same(v - lunet.tensor{1, 2}, {{0, 2}, {1, 3}, {2, 4}})
    same(12 / c, {{6, 4}, {2.4000000953674316, 2}})  -- 12/5 rounded to float
    local dst = lunet.zeros(3, 2)
    dst:t():copy(t)  -- writes through the transpose: dst = t^T
    same(dst, {{1, 4}, {2, 5}, {3, 6}})
    same(lunet.zeros(2, 2):copy(c:t()), {{2, 5}, {3, 6}})
    -- a copy between overlapping layouts of the same storage
    local sq = lunet.tensor{{1, 2}, {3, 4}}
    sq:copy(sq:t())
    same(sq, {{1, 3}, {2, 4}})
  end)

  it("layers, losses and the board take strided input", function()
    lunet.manual_seed(2)
    local lin = lunet.Linear(3, 2)
    local x = lunet.randn(3, 5)
    local y1 = lin:forward(x:t():contiguous()):clone()
    local y2 = lin:forward(x:t())
    assert.are.same(y1:totable(), y2:totable())
    local dy = lunet.tensor{1, -1}:expand(5, 2)
    local dx = lin:backward(x:t(), dy):clone()
    local dx2 = lin:backward(x:t():contiguous(), dy:contiguous())
    assert.are.same(dx2:totable(), dx:totable())
    local mse = lunet.MSELoss()
    assert.are.equal(0, mse:forward(x:t(), x:t():contiguous()))
    local ce = lunet.CrossEntropyLoss()
    local labels = lunet.tensor{{1, 2}, {3, 1}, {2, 2}}:select(2, 1)  -- 1, 3, 2 strided
    assert.are.equal(ce:forward(x:narrow(2, 1, 3):contiguous(), {1, 3, 2}),
                     ce:forward(x:narrow(2, 1, 3), labels))
    -- logits {{0, 3}, {5, 1}} (a transpose) predict 2, 1; labels 2, 1 (a strided column)
    local acc = lunet.accuracy(lunet.tensor{{0, 5}, {3, 1}}:t(),
                               lunet.tensor{{2, 9}, {1, 9}}:select(2, 1))
    assert.are.equal(1, acc)
    local b = lunet.Board()
    b:histogram("h/x", 1, x:t())
    assert.is_true(lunet.isfinite(x:t()))
  end)

  it("operands that do not broadcast are refused", function()
    local t = lunet.zeros(2, 3)
    fails(function() return t:t() + t end, "Tensor +: shapes 3x2 and 2x3 do not broadcast")
    fails(function() t:add_(lunet.zeros(4, 2, 3)) end,
          "Tensor:add_: the result of shapes 2x3 and 4x2x3 does not fit the 2x3 tensor")
    fails(function() lunet.zeros(3):expand(2, 3):add_(1) end,
          "Tensor:add_: the tensor is an expanded view")
  end)
end)

describe("tensor printing", function()
  it("switches to scientific notation as PyTorch does", function()
    local s = tostring(lunet.tensor{1e-10, 1})
    assert.truthy(s:find("1.0000e-10", 1, true) and s:find("1.0000e+00", 1, true), s)
    s = tostring(lunet.tensor{0.5, 2000})
    assert.truthy(s:find("5.0000e-01", 1, true), s)  -- a span over 1000x
    s = tostring(lunet.tensor{0.5, 1.25})
    assert.truthy(s:find("0.5000", 1, true) and s:find("1.2500", 1, true), s)
    s = tostring(lunet.tensor{1, 2, 1e9})
    assert.truthy(s:find("1.0000e+09", 1, true), s)  -- integers beyond 1e8
    s = tostring(lunet.tensor{1, 20, 300})
    assert.truthy(s:find("  1  20 300", 1, true), s)
  end)

  it("prints a view as its values, summarising every dimension", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    local s = tostring(t:t())
    assert.truthy(s:find(" 1 4\n 2 5\n 3 6\n", 1, true), s)
    s = tostring(lunet.zeros(10, 10, 12):expand(3, 10, 10, 12))
    assert.truthy(s:find("(1,3,.,.) =", 1, true) and s:find("(1,8,.,.) =", 1, true), s)
    assert.falsy(s:find("(1,4,.,.) =", 1, true), s)
    assert.truthy(s:find("(3,10,.,.) =", 1, true), s)
    assert.truthy(s:find("...\n\n", 1, true), s)
  end)
end)
