-- Reductions, sort/topk, indexing by index tensors, matrix products,
-- cat/stack, arange and .npy files against PyTorch and NumPy:
-- tests/fixtures/tensor_math.lua (made by tests/fixtures/gen_tensor_math.py)
-- holds random operands as a contiguous base and a chain of views
-- (transpose, permute, narrow, select, expand; 1 to 6 dimensions) and the
-- expected results in float64. Then the behaviour the fixtures do not pin:
-- NaN, ties, views that share storage, randomness, and the errors.
local lunet = require "lunet"
local H = require "tensor_helpers"(assert)
local fails, same = H.fails, H.same

local here = debug.getinfo(1, "S").source:match("^@(.*)spec/[^/]*$") or "tests/"
local fx = dofile(here .. "fixtures/tensor_math.lua")

-- Goals: exact operations (indexing, sorting, joining) agree to 1e-6 (in
-- fact exactly), reductions and products to 1e-5.
local GOAL = {exact = 1e-6, reduction = 1e-5, linalg = 1e-5}
local worst = {exact = 0, reduction = 0, linalg = 0}
local worst_case = {}

local function build(spec)
  local t = lunet.tensor(spec.data):view(spec.base)
  for _, v in ipairs(spec.views) do
    t = t[v[1]](t, table.unpack(v, 2))
  end
  return t
end

local function resolve(a, inputs)
  if type(a) == "string" and a:match("^%$%d+$") then return inputs[tonumber(a:sub(2))] end
  if type(a) == "table" and type(a[1]) == "string" then
    local r = {}
    for i, x in ipairs(a) do r[i] = resolve(x, inputs) end
    return r
  end
  return a
end

-- Largest |got - want| / |want|, |want| floored at 1e-3 of the largest
-- and, for a product, at scale[i] (|a| |b|: float32 products are exact to
-- that, not to a result that cancels to near 0).
local function relerr(got, want, scale)
  local maxabs = 0
  for i = 1, #want do maxabs = math.max(maxabs, math.abs(want[i])) end
  local floor, rel, at = math.max(1e-3 * maxabs, 1e-30), 0, 1
  for i = 1, #want do
    local g, w = got[i], want[i]
    local r
    if w ~= w then r = g ~= g and 0 or math.huge
    elseif w == g then r = 0
    else r = math.abs(g - w) / math.max(math.abs(w), floor, scale and scale[i] or 0) end
    if r > rel then rel, at = r, i end
  end
  return rel, at
end

local function flat(t)
  return t:reshape(t:numel()):totable()
end

local function check(c, i, got, want, kind)
  local what = ("%s: result %d"):format(c.name, i)
  local g, w, scale = nil, nil, c.scale
  if type(scale) == "number" then scale = {scale} elseif scale then scale = scale.data end
  if type(want) == "number" then
    assert(type(got) == "number", what .. ": expected a number, got " .. type(got))
    g, w = {got}, {want}
  else
    assert(lunet.is_tensor(got), what .. ": expected a tensor, got " .. type(got))
    assert.are.same(want.shape, got:size(), what .. ": shape")
    g, w = flat(got), want.data
  end
  if kind == "index" then
    for j = 1, #w do
      assert(g[j] == w[j], ("%s: index %d is %s, PyTorch %s"):format(what, j, g[j], w[j]))
    end
    return
  end
  local rel, at = relerr(g, w, scale)
  if rel > worst[c.class] then worst[c.class], worst_case[c.class] = rel, c.name end
  assert(rel <= GOAL[c.class], ("%s: element %d is %.9g, PyTorch %.9g (relative %.2e)")
    :format(what, at, g[at], w[at], rel))
end

describe("tensor math against PyTorch", function()
  local counts = {}
  for _, c in ipairs(fx.cases) do
    counts[c.op] = (counts[c.op] or 0) + 1
  end
  for _, op in ipairs{"sum", "mean", "prod", "var", "std", "norm", "logsumexp", "max", "min",
                      "argmax", "argmin", "cumsum", "sort", "topk", "index_select", "gather",
                      "scatter_", "scatter_add_", "index_add_", "mm", "mv", "bmm", "matmul",
                      "dot", "outer", "cat", "stack"} do
    it(("%s (%d random cases)"):format(op, counts[op] or 0), function()
      assert((counts[op] or 0) > 0, "no fixture cases")
      for _, c in ipairs(fx.cases) do
        if c.op == op then
          local inputs = {}
          for k, spec in ipairs(c.inputs) do inputs[k] = build(spec) end
          local args = {}
          for k, a in ipairs(c.args) do args[k] = resolve(a, inputs) end
          local res
          if c.call == "method" then
            res = table.pack(inputs[1][op](inputs[1], table.unpack(args, 1, #c.args)))
          else
            res = table.pack(lunet[op](table.unpack(args, 1, #c.args)))
          end
          assert.are.equal(#c.want, res.n, c.name .. ": number of results")
          for k, want in ipairs(c.want) do check(c, k, res[k], want, c.kinds[k]) end
        end
      end
    end)
  end

  it("arange follows PyTorch's length rule", function()
    for _, a in ipairs(fx.arange) do
      local got = flat(lunet.arange(table.unpack(a.args)))
      assert.are.equal(#a.want, #got, "length of arange" .. table.concat(a.args, ", "))
      local rel = relerr(got, a.want)
      assert(rel < 1e-6, ("arange(%s): relative error %.2e"):format(table.concat(a.args, ", "),
                                                                      rel))
    end
    same(lunet.arange(4), {0, 1, 2, 3})
  end)

  it("load_npy reads what NumPy wrote (every type, both byte orders)", function()
    local path = os.tmpname()
    for _, e in ipairs(fx.npy) do
      local f = assert(io.open(path, "wb"))
      f:write(e.bytes)
      f:close()
      local t = lunet.load_npy(path)
      assert.are.same(e.shape, t:size(), e.dtype)
      assert(relerr(flat(t), e.want) < 1e-7, e.dtype)  -- the fixture prints 10 digits
    end
    os.remove(path)
  end)

  it("reports the largest relative errors", function()
    for _, class in ipairs{"exact", "reduction", "linalg"} do
      print(("# tensor math vs PyTorch: largest relative error, %s: %.2e (%s)")
        :format(class, worst[class], worst_case[class] or "-"))
    end
  end)
end)

describe("reductions", function()
  local t = lunet.tensor{{1, 5, 3}, {4, 2, 6}}

  it("give numbers over all elements, tensors along a dimension", function()
    assert.are.equal(21, t:sum())
    same(t:sum(1), {5, 7, 9})
    same(t:sum(-1), {9, 12})
    same(t:sum(2, true), {{9}, {12}})
    assert.are.equal(9, lunet.tensor{4, 5}:sum(1))  -- a 1-D tensor's reduction is a number
    same(lunet.tensor{4, 5}:sum(1, true), {9})
    assert.are.equal(6, t:argmax())
    assert.are.equal(1, t:argmin())
  end)

  it("max and min along a dimension give values and 1-based indices", function()
    local v, i = t:max(2)
    same(v, {5, 6})
    same(i, {2, 3})
    v, i = t:min(1, true)
    same(v, {{1, 2, 3}})
    same(i, {{1, 2, 1}})
    v, i = lunet.tensor{3, 9, 9}:max(1)
    assert.are.equal(9, v)
    assert.are.equal(2, i)  -- the first of ties
  end)

  it("propagate NaN as PyTorch: max/min are NaN, argmax points at the first NaN", function()
    local n = lunet.tensor{{1, 0 / 0, 3, 0 / 0}, {1, 2, 3, 4}}
    local v, i = n:max(2)
    assert.is_true(v:get(1) ~= v:get(1))
    same(i, {2, 4})
    v, i = n:min(2)
    assert.is_true(v:get(1) ~= v:get(1))
    same(i, {2, 1})
    same(n:argmax(2), {2, 4})
    assert.are.equal(2, n:argmax())
    assert.is_true(n:t():max(1):get(1) ~= n:t():max(1):get(1))  -- the strided path too
    local s = n:sum(2)
    assert.is_true(s:get(1) ~= s:get(1))
    assert.are.equal(10, s:get(2))
  end)

  it("logsumexp is stable for large inputs and exact for infinities", function()
    local x = lunet.tensor{1000, 1000}
    assert.is_true(math.abs(x:logsumexp(1) - (1000 + math.log(2))) < 1e-3)
    assert.are.equal(math.huge, lunet.tensor{1, math.huge}:logsumexp(1))
    assert.are.equal(-math.huge, lunet.tensor{-math.huge, -math.huge}:logsumexp(1))
  end)

  it("var and std are unbiased unless told otherwise", function()
    local x = lunet.tensor{2, 4, 4, 4, 5, 5, 7, 9}
    assert.is_true(math.abs(x:var() - 32 / 7) < 1e-12)
    assert.is_true(math.abs(x:std({unbiased = false}) - 2) < 1e-12)
    same(lunet.tensor{{1, 3}}:var(2, true, {unbiased = false}), {{1}})
    local one = lunet.tensor{5}:std()
    assert.is_true(one ~= one)
  end)

  it("sort is stable, NaN largest; topk takes the first k", function()
    local x = lunet.tensor{3, 1, 0 / 0, 1, 2}
    local v, i = x:sort()
    same(i, {2, 4, 5, 1, 3})
    v, i = x:sort(1, true)
    same(i, {3, 1, 5, 2, 4})
    assert.is_true(v:get(1) ~= v:get(1))
    v, i = lunet.tensor{{5, 1, 4}, {0, 9, 2}}:topk(2)
    same(v, {{5, 4}, {9, 2}})
    same(i, {{1, 3}, {2, 3}})
    v, i = lunet.tensor{{5, 1, 4}, {0, 9, 2}}:topk(1, 1, false)
    same(v, {{0, 1, 2}})
    same(i, {{2, 1, 2}})
  end)

  it("refuse bad dimensions and arguments, naming the function", function()
    fails(function() t:sum(3) end, "Tensor:sum: dimension 3 out of range (1..2)")
    fails(function() t:mean(-3) end, "Tensor:mean: dimension -3 out of range (1..2)")
    fails(function() t:max(1.5) end, "Tensor:max: dimension must be an integer")
    fails(function() t:max(t) end, "Tensor:max: expected a dimension, got a tensor")
    fails(function() t:sum(1, true, 3) end, "Tensor:sum: unexpected argument #4")
    fails(function() t:sum(1, 1) end, "Tensor:sum: keepdim must be a boolean")
    fails(function() t:std(1, false, {bias = true}) end, "Tensor:std: unknown option 'bias'")
    fails(function() t:norm("fro") end, "Tensor:norm: p must be a number")
    fails(function() t:cumsum() end, "Tensor:cumsum: dimension must be an integer")
    fails(function() t:topk(4) end, "Tensor:topk: k = 4 out of range (1..3)")
    fails(function() t:sort(1, 1) end, "Tensor:sort: descending must be a boolean")
    fails(function() t.sum() end, "call it as t:sum(...)")
  end)
end)

describe("indexing by index tensors", function()
  it("index_select, gather, scatter_, scatter_add_, index_add_ with 1-based indices", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    same(t:index_select(2, lunet.tensor{3, 1, 3}), {{3, 1, 3}, {6, 4, 6}})
    same(t:gather(2, lunet.tensor{{2, 2}, {3, 1}}), {{2, 2}, {6, 4}})
    local z = lunet.zeros(2, 3)
    assert.are.equal(z, z:scatter_(2, lunet.tensor{{3}, {1}}, 7))
    same(z, {{0, 0, 7}, {7, 0, 0}})
    z:scatter_add_(1, lunet.tensor{{1, 1, 1}}, lunet.tensor{{1, 2, 3}})
    same(z, {{1, 2, 10}, {7, 0, 0}})
    z:index_add_(1, lunet.tensor{2, 2}, lunet.tensor{{1, 1, 1}, {2, 2, 2}})
    same(z, {{1, 2, 10}, {10, 3, 3}})
  end)

  it("writes through a view into its base", function()
    local base = lunet.zeros(3, 4)
    base:t():scatter_(1, lunet.tensor{{3, 1, 2}}, 5)
    same(base, {{0, 0, 5, 0}, {5, 0, 0, 0}, {0, 5, 0, 0}})
    base:narrow(2, 4, 1):index_add_(1, lunet.tensor{1, 3}, lunet.ones(2, 1))
    same(base, {{0, 0, 5, 1}, {5, 0, 0, 0}, {0, 5, 0, 1}})
  end)

  it("refuses non-integer and out-of-range indices and leaves the tensor as it was", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}
    fails(function() t:index_select(1, lunet.tensor{1, 3}) end,
          "Tensor:index_select: index 3 out of range (1..2) in dimension 1")
    fails(function() t:gather(2, lunet.tensor{{0.5}, {1}}) end,
          "Tensor:gather: index 0.5 is not an integer")
    fails(function() t:scatter_(2, lunet.tensor{{1, 4}}, 0) end,
          "Tensor:scatter_: index 4 out of range (1..3)")
    same(t, {{1, 2, 3}, {4, 5, 6}})
    fails(function() t:gather(2, lunet.tensor{1, 2}) end, "Tensor:gather: the index has 1")
    fails(function() t:index_add_(1, lunet.tensor{1}, lunet.ones(2, 3)) end,
          "Tensor:index_add_: the source is 2x3")
    fails(function() t:expand(2, 2, 3):scatter_(1, lunet.tensor{{{1}}}, 0) end,
          "Tensor:scatter_: the tensor is an expanded view")
    fails(function() t:gather(5, t) end, "Tensor:gather: dimension 5 out of range (1..2)")
  end)
end)

describe("matrix products", function()
  local a = lunet.tensor{{1, 2, 3}, {4, 5, 6}}

  it("mm, mv, bmm, matmul, dot, outer as methods and functions", function()
    same(a:mm(a:t()), {{14, 32}, {32, 77}})
    same(lunet.mm(a:t(), a), {{17, 22, 27}, {22, 29, 36}, {27, 36, 45}})
    same(a:mv(lunet.tensor{1, 0, -1}), {-2, -2})
    same(lunet.bmm(a:view(1, 2, 3), a:t():reshape(1, 3, 2)), {{{14, 32}, {32, 77}}})
    assert.are.equal(14, lunet.matmul(lunet.tensor{1, 2, 3}, lunet.tensor{1, 2, 3}))
    assert.are.equal(32, lunet.tensor{1, 2, 3}:dot(lunet.tensor{4, 5, 6}))
    same(lunet.outer(lunet.tensor{1, 2}, lunet.tensor{3, 4, 5}), {{3, 4, 5}, {6, 8, 10}})
  end)

  it("refuses shapes that do not fit, naming the function", function()
    fails(function() lunet.mm(a, a) end, "lunet.mm: shapes 2x3 and 2x3 cannot be multiplied")
    fails(function() a:mv(lunet.ones(2)) end, "Tensor:mv: shapes 2x3 and 2 cannot be multiplied")
    fails(function() lunet.mm(a, lunet.ones(3)) end, "lunet.mm: expected a matrix, got a 1-D")
    fails(function() lunet.bmm(lunet.ones(2, 2, 3), lunet.ones(3, 3, 2)) end,
          "lunet.bmm: batch sizes 2 and 3 differ")
    fails(function() lunet.matmul(lunet.ones(2, 2, 3), lunet.ones(3, 3, 2)) end,
          "lunet.matmul: the batch dimensions of 2x2x3 and 3x3x2 do not broadcast")
    fails(function() a:dot(lunet.ones(2)) end, "Tensor:dot: expected a 1-D vector")
    fails(function() lunet.mm(a, a:t(), a) end, "lunet.mm: unexpected argument #3")
  end)
end)

describe("construction", function()
  it("full, eye, the _like functions", function()
    same(lunet.full({2, 2}, 7), {{7, 7}, {7, 7}})
    same(lunet.eye(2), {{1, 0}, {0, 1}})
    same(lunet.eye(2, 3), {{1, 0, 0}, {0, 1, 0}})
    local t = lunet.ones(2, 3):t()
    same(lunet.zeros_like(t), {{0, 0}, {0, 0}, {0, 0}})
    same(lunet.ones_like(t), {{1, 1}, {1, 1}, {1, 1}})
    assert.are.same({3, 2}, lunet.rand_like(t):size())
    assert.are.same({3, 2}, lunet.randn_like(t):size())
    fails(function() lunet.full({2, 0}, 1) end, "lunet.full: size 2 must be positive")
    fails(function() lunet.eye(0) end, "lunet.eye: n must be 1 to")
  end)

  it("randperm, randint, bernoulli draw from lunet's generator", function()
    lunet.manual_seed(3)
    local p = lunet.randperm(50)
    local sorted = p:sort()
    same(sorted, flat(lunet.arange(1, 51)))
    lunet.manual_seed(3)
    same(lunet.randperm(50), flat(p))  -- the same seed, the same permutation
    local r = lunet.randint(1, 7, {1000})
    assert.are.equal(1, r:min())
    assert.are.equal(6, r:max())
    for _, v in ipairs(r:totable()) do assert(v == math.floor(v), "not an integer: " .. v) end
    same(lunet.randint(1, {3}), {0, 0, 0})
    local b = lunet.full({10000}, 0.3):bernoulli()
    assert.is_true(math.abs(b:mean() - 0.3) < 0.02)
    assert.are.equal(0, (b * (b - 1)):norm(1))  -- 0 or 1
    assert.is_true(math.abs(lunet.zeros(10000):bernoulli(0.7):mean() - 0.7) < 0.02)
    same(lunet.bernoulli(lunet.tensor{0, 1}), {0, 1})
    fails(function() lunet.bernoulli(lunet.tensor{2}) end,
          "lunet.bernoulli: probability 2 at element 1 is not in [0, 1]")
    fails(function() lunet.randint(3, 3, {2}) end, "lunet.randint: low 3 must be below high 3")
    fails(function() lunet.arange(1, 1) end, "lunet.arange: the range from 1 to 1 by 1 is empty")
    fails(function() lunet.arange(0, 1, 0) end, "lunet.arange: step must be nonzero")
  end)

  it("split and chunk give views that share storage; item gives the number", function()
    local t = lunet.arange(1, 8):view(7, 1)
    local parts = t:split(3)
    assert.are.equal(3, #parts)
    same(parts[3], {{7}})
    parts[1]:fill(0)
    same(t:narrow(1, 1, 3), {{0}, {0}, {0}})  -- written through
    local sizes = {}
    for i, c in ipairs(t:chunk(3)) do sizes[i] = c:size(1) end
    assert.are.same({3, 3, 1}, sizes)
    assert.are.same({2, 1}, {#t:split({2, 5}), #lunet.ones(2, 4):split(4, 2)})
    same(lunet.ones(2, 4):chunk(2, 2)[2], {{1, 1}, {1, 1}})
    fails(function() t:split({2, 2}) end, "Tensor:split: the sizes add up to 4, dimension 1 has 7")
    assert.are.equal(5, lunet.tensor{{5}}:item())
    fails(function() t:item() end, "Tensor:item: the tensor has 7 elements (7x1), not one")
  end)

  it("cat and stack refuse shapes that do not match", function()
    fails(function() lunet.cat({lunet.ones(2, 3), lunet.ones(2, 2)}, 1) end,
          "lunet.cat: tensor 2 is 2x2, tensor 1 is 2x3")
    fails(function() lunet.stack({lunet.ones(2), lunet.ones(3)}) end,
          "lunet.stack: tensor 2 is 3, tensor 1 is 2")
    fails(function() lunet.cat({lunet.ones(2), 3}) end, "lunet.cat: element 2 of the list")
    fails(function() lunet.cat({lunet.ones(2)}, 2) end,
          "lunet.cat: dimension 2 out of range (1..1)")
    same(lunet.stack({lunet.ones(2), lunet.zeros(2)}, 2), {{1, 0}, {1, 0}})
  end)
end)

describe(".npy files", function()
  local path = os.tmpname()
  after_each(function() os.remove(path) end)

  local function write(bytes)
    local f = assert(io.open(path, "wb"))
    f:write(bytes)
    f:close()
  end

  it("save_npy writes float32 that load_npy reads back, from a strided tensor", function()
    local t = lunet.tensor{{1, 2, 3}, {4, 5, 6}}:t()
    lunet.save_npy(path, t)
    local f = assert(io.open(path, "rb"))
    local bytes = f:read("a")
    f:close()
    assert.are.equal("\147NUMPY\1\0", bytes:sub(1, 8))
    assert.are.equal(0, (10 + bytes:byte(9) + 256 * bytes:byte(10)) % 64)
    assert.truthy(bytes:find("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                             1, true))
    same(lunet.load_npy(path), {{1, 4}, {2, 5}, {3, 6}})
    lunet.save_npy(path, lunet.tensor{7})
    f = assert(io.open(path, "rb"))
    assert.truthy(f:read("a"):find("'shape': (1,)", 1, true))
    f:close()
  end)

  it("refuses Fortran order, odd types, and a size that does not match the header", function()
    local function npy(dict, data)
      local header = dict .. (" "):rep(63 - (10 + #dict) % 64) .. "\n"
      return "\147NUMPY\1\0" .. string.char(#header % 256, #header // 256) .. header .. data
    end
    local four = ("\0"):rep(16)
    write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", four))
    same(lunet.load_npy(path), {{0, 0}, {0, 0}})
    write(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four))
    fails(function() lunet.load_npy(path) end, "Fortran (column-major) order")
    write(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", four))
    fails(function() lunet.load_npy(path) end, "unsupported element type '<c8'")
    write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", four))
    fails(function() lunet.load_npy(path) end,
          "the header's shape needs 24 bytes of data, the file has 16")
    write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0), }", ""))
    fails(function() lunet.load_npy(path) end, "the array has no elements")
    write("PK\3\4 not a npy file")
    fails(function() lunet.load_npy(path) end, "lunet.load_npy: " .. path .. " is not a .npy")
    fails(function() lunet.save_npy(path, lunet.ones(2), 1) end,
          "lunet.save_npy: unexpected argument #3")
  end)
end)
