-- The Lua API of modules: constructors, forward/backward, fields that share
-- storage with the core, parameters(), train/evaluate, printing, and the
-- errors for bad input.
local lunet = require "lunet"

local function close(a, b, tol)
  return math.abs(a - b) <= (tol or 1e-5) * math.max(1, math.abs(b))
end

local function errors_with(f, substring)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error containing: " .. substring)
  assert.is_truthy(tostring(err):find(substring, 1, true),
    "error '" .. tostring(err) .. "' lacks '" .. substring .. "'")
end

describe("Linear", function()
  it("computes x W^T + b with weight (out x in) and bias (out)", function()
    local lin = lunet.Linear(3, 2)
    assert.are.same({ 2, 3 }, lin.weight:size())
    assert.are.same({ 2 }, lin.bias:size())
    lin.weight:copy(lunet.tensor{ { 1, 2, 3 }, { -1, 0, 1 } })
    lin.bias:copy(lunet.tensor{ 10, 20 })
    local y = lin:forward(lunet.tensor{ { 1, 1, 1 }, { 2, 0, -1 } })
    assert.are.same({ { 16, 20 }, { 9, 17 } }, y:totable())
    assert.are.same(y:totable(), lin.output:totable())
    assert.are.equal(3, lin.in_features)
    assert.are.equal(2, lin.out_features)
  end)

  it("backward gives dx = dy W and adds dW = dy^T x, db = colsum dy", function()
    local lin = lunet.Linear(2, 2)
    lin.weight:copy(lunet.tensor{ { 1, 2 }, { 3, 4 } })
    local x, dy = lunet.tensor{ { 1, 2 }, { 3, 4 } }, lunet.tensor{ { 1, 0 }, { 0, 1 } }
    lin:forward(x)
    lin:zero_grad()
    local dx = lin:backward(x, dy)
    assert.are.same({ { 1, 2 }, { 3, 4 } }, dx:totable())
    assert.are.same(dx:totable(), lin.grad_input:totable())
    local _, grads = lin:parameters()
    assert.are.same({ { 1, 2 }, { 3, 4 } }, grads[1]:totable())
    assert.are.same({ 1, 1 }, grads[2]:totable())
    lin:backward(x, dy)  -- gradients accumulate until zero_grad
    assert.are.same({ 2, 2 }, grads[2]:totable())
    lin:zero_grad()
    assert.are.same({ 0, 0 }, grads[2]:totable())
  end)

  it("initialises like PyTorch: uniform within 1/sqrt(in), reproducible by seed", function()
    lunet.manual_seed(3)
    local a = lunet.Linear(100, 50)
    lunet.manual_seed(3)
    local b = lunet.Linear(100, 50)
    assert.are.same(a.weight:totable(), b.weight:totable())
    assert.is_true(a.weight:max() <= 0.1 and a.weight:min() >= -0.1)
    assert.is_true(a.weight:max() > 0.09 and a.weight:min() < -0.09)
    assert.is_true(a.bias:max() <= 0.1 and a.bias:min() >= -0.1)
  end)
end)

describe("activations", function()
  it("ReLU, Tanh and Sigmoid work on any shape", function()
    local x = lunet.tensor{ { -1, 0, 2 } }:view(1, 3, 1, 1)
    local r = lunet.ReLU():forward(x):view(3):totable()
    assert.are.same({ 0, 0, 2 }, r)
    local t = lunet.Tanh():forward(x):view(3):totable()
    assert.is_true(close(t[1], math.tanh(-1)) and t[2] == 0 and close(t[3], math.tanh(2)))
    local s = lunet.Sigmoid():forward(x):view(3):totable()
    assert.is_true(close(s[1], 1 / (1 + math.exp(1))) and s[2] == 0.5)
  end)

  it("ReLU passes the gradient where the input is > 0", function()
    local relu, x = lunet.ReLU(), lunet.tensor{ -1, 0, 3 }
    relu:forward(x)
    assert.are.same({ 0, 0, 5 }, relu:backward(x, lunet.tensor{ 5, 5, 5 }):totable())
  end)
end)

describe("fields", function()
  it("share storage with the layer", function()
    local lin = lunet.Linear(2, 1)
    lin.weight:fill(0)
    lin.bias:fill(0)
    local x = lunet.tensor{ { 1, 2 } }
    assert.are.equal(0, lin:forward(x):get(1, 1))
    lin.weight:set(1, 2, 3)
    assert.are.equal(6, lin:forward(x):get(1, 1))
    local params = lin:parameters()
    params[2]:fill(1)  -- parameters() are views too
    assert.are.equal(7, lin:forward(x):get(1, 1))
    assert.are.equal(1, lin.bias:get(1))
  end)

  it("BatchNorm has weight, bias, running_mean, running_var", function()
    local bn = lunet.BatchNorm(3, { momentum = 1 })
    bn:forward(lunet.tensor{ { 1, 2, 3 }, { 3, 4, 5 } })
    assert.are.same({ 2, 3, 4 }, bn.running_mean:totable())
    assert.are.same({ 2, 2, 2 }, bn.running_var:totable())  -- unbiased
    bn.running_var:fill(4)
    bn:evaluate()
    local y = bn:forward(lunet.tensor{ { 1, 2, 3 } }):totable()[1]
    for j = 1, 3 do  -- (x - mean) / sqrt(4 + 1e-5)
      assert.is_true(close(y[j], -1 / math.sqrt(4 + 1e-5), 1e-6))
    end
  end)

  it("are errors where a kind has none, and output is nil before forward", function()
    local relu = lunet.ReLU()
    errors_with(function() return relu.weight end, "ReLU: no field 'weight' (fields: output")
    errors_with(function() return relu.running_mean end, "ReLU: no field 'running_mean'")
    assert.is_nil(relu.output)
    errors_with(function() return lunet.BatchNorm(2, { affine = false }).weight end,
      "BatchNorm: no field 'weight' (fields: running_mean, running_var, num_features")
    errors_with(function() return lunet.Linear(2, 3).wieght end,
      "Linear: no field 'wieght' (fields: weight, bias, in_features, out_features")
    assert.are.same({}, relu.modules)
    errors_with(function() return relu[1] end, "ReLU: no field 1")
  end)

  it("cannot be assigned", function()
    local lin = lunet.Linear(2, 2)
    errors_with(function() lin.weight = lunet.zeros(2, 2) end, "cannot assign field 'weight'")
  end)
end)

describe("Sequential", function()
  local function net()
    return lunet.Sequential{
      lunet.Linear(1, 30), lunet.BatchNorm(30, { eps = 1e-3, momentum = 0.5 }),
      lunet.ReLU(), lunet.Linear(30, 1),
    }
  end

  it("chains its children; output is the last child's output", function()
    local n = net()
    local x = lunet.linspace(-7, 10, 500):view(500, 1)
    local y = n:forward(x)
    assert.are.same({ 500, 1 }, y:size())
    local m = n.modules
    local manual = m[4]:forward(m[3]:forward(m[2]:forward(m[1]:forward(x))))
    assert.are.same(manual:totable(), y:totable())
    y:set(1, 1, 1234)  -- the same storage as the last child's output
    assert.are.equal(1234, m[4].output:get(1, 1))
    local dx = n:backward(x, lunet.ones(500, 1))
    assert.are.same({ 500, 1 }, dx:size())
    assert.are.same(dx:totable(), m[1].grad_input:totable())
  end)

  it("returns the same userdata for the same module", function()
    local lin = lunet.Linear(2, 2)
    local n = lunet.Sequential{ lin }
    assert.are.equal(lin, n.modules[1])
    assert.are.equal(n.modules[1], n.modules[1])
  end)

  it("lists parameters in module order, weight before bias", function()
    local n = net()
    local params, grads = n:parameters()
    assert.are.equal(6, #params)
    assert.are.equal(6, #grads)
    local sizes = {}
    for i, p in ipairs(params) do sizes[i] = table.concat(p:size(), "x") end
    assert.are.same({ "30x1", "30", "30", "30", "1x30", "1" }, sizes)
    params[3]:fill(2)
    assert.are.equal(2, n.modules[2].weight:get(5))
  end)

  it("add returns self and appends; modules lists the children", function()
    local n = lunet.Sequential()
    assert.are.equal(n, n:add(lunet.Linear(2, 3)))
    n:add(lunet.Tanh())
    assert.are.equal(2, #n.modules)
    assert.are.equal("Tanh", n.modules[2]:type())
    assert.are.same({ 4, 3 }, n:forward(lunet.ones(4, 2)):size())
  end)

  it("accepts modules as arguments too, and empty is the identity", function()
    local n = lunet.Sequential(lunet.ReLU(), lunet.Tanh())
    assert.are.equal(2, #n.modules)
    local id, x = lunet.Sequential(), lunet.tensor{ 1, -2 }
    assert.are.same({ 1, -2 }, id:forward(x):totable())
    assert.are.same({ 3, 4 }, id:backward(x, lunet.tensor{ 3, 4 }):totable())
  end)

  it("train and evaluate return self and reach every child", function()
    local n = net()
    assert.is_true(n.training)
    assert.are.equal(n, n:evaluate())
    assert.is_false(n.training)
    assert.is_false(n.modules[2].training)
    assert.are.equal(n, n:train())
    assert.is_true(n.modules[2].training)
    n:train(false)
    assert.is_false(n.modules[2].training)
  end)

  it("prints like PyTorch, children indented", function()
    local n = net()
    n:add(lunet.Sequential{ lunet.Sigmoid() })
    assert.are.equal(table.concat({
      "Sequential(",
      "  (1): Linear(1 -> 30)",
      "  (2): BatchNorm(30, eps=0.001, momentum=0.5)",
      "  (3): ReLU()",
      "  (4): Linear(30 -> 1)",
      "  (5): Sequential(",
      "    (1): Sigmoid()",
      "  )",
      ")" }, "\n"), tostring(n))
    assert.are.equal("BatchNorm(3, eps=1e-05, momentum=0.1, affine=false)",
      tostring(lunet.BatchNorm(3, { affine = false })))
    assert.are.equal("Sequential()", tostring(lunet.Sequential()))
    assert.are.equal("Sequential", n:type())
  end)
end)

describe("module errors", function()
  it("name the method and the problem", function()
    local lin = lunet.Linear(3, 2)
    errors_with(function() lin:forward(lunet.ones(4, 5)) end,
      "Linear:forward: input has 5 features, expected 3")
    errors_with(function() lin:forward(lunet.ones(2, 3, 4)) end,
      "Linear:forward: input has 4 features, expected 3")
    errors_with(function() lunet.Sequential{ lin }:forward(lunet.ones(4, 5)) end,
      "Sequential:forward: module 1: Linear: input has 5 features, expected 3")
    errors_with(function() lunet.ReLU():backward(lunet.ones(2), lunet.ones(2)) end,
      "ReLU:backward: backward called before forward")
    lin:forward(lunet.ones(4, 3))
    errors_with(function() lin:backward(lunet.ones(4, 3), lunet.ones(4, 3)) end,
      "Linear:backward: grad_output has shape 4x3, expected 4x2")
  end)

  it("reject bad BatchNorm input and options", function()
    local bn = lunet.BatchNorm(30)
    errors_with(function() bn:forward(lunet.ones(1, 30)) end,
      "BatchNorm:forward: training needs more than one value per channel, got input 1x30")
    errors_with(function() bn:forward(lunet.ones(4, 5)) end,
      "BatchNorm:forward: input has 5 features, expected 30")
    errors_with(function() bn:forward(lunet.ones(2, 5, 3, 3)) end, "5 channels, expected 30")
    errors_with(function() bn:forward(lunet.ones(30)) end, "input must be (N,C)")
    errors_with(function() lunet.BatchNorm(3, { epsilon = 1 }) end, "unknown option 'epsilon'")
    errors_with(function() lunet.BatchNorm(3, { eps = "x" }) end, "'eps' must be a number")
    errors_with(function() lunet.BatchNorm(3, { affine = 1 }) end, "'affine' must be a boolean")
    errors_with(function() lunet.BatchNorm(3, { momentum = 2 }) end,
      "lunet.BatchNorm: momentum must be in [0, 1], got 2")
    -- options may come as arguments, in PyTorch's order: BatchNorm(3, eps)
    assert.equals(5, lunet.BatchNorm(3, 5).eps)
    errors_with(function() lunet.BatchNorm(3, {}, 5) end, "unexpected argument #3")
    errors_with(function() lunet.BatchNorm(3, "x") end, "number expected, got string")
    errors_with(function() lunet.BatchNorm(0) end, "size must be positive")
    bn:evaluate()  -- one sample is fine with running statistics
    assert.are.same({ 1, 30 }, bn:forward(lunet.ones(1, 30)):size())
  end)

  it("reject wrong argument types and sizes", function()
    errors_with(function() lunet.Linear("a", 3) end, "bad argument #1 to 'Linear'")
    errors_with(function() lunet.Linear(3, 0) end, "bad argument #2 to 'Linear'")
    errors_with(function() lunet.Linear(3, 1.5) end, "number has no integer representation")
    errors_with(function() lunet.Linear(1e6, 1e6) end, "lunet.Linear: ")
    errors_with(function() lunet.ReLU(true) end,
      "lunet.ReLU: unexpected argument #1 (expected at most 0, got 1)")
    local lin = lunet.Linear(3, 2)
    errors_with(function() lin:forward(5) end, "lunet.Tensor expected, got number")
    errors_with(function() lin:forward() end, "lunet.Tensor expected, got no value")
    errors_with(function() lin:train(1) end, "boolean expected")
  end)

  it("catch a method called with . instead of :", function()
    local lin = lunet.Linear(3, 2)
    errors_with(function() lin.forward(lunet.ones(2, 3)) end, "call it as m:forward(...)")
    errors_with(function() lin.parameters() end, "call it as m:parameters(...)")
  end)

  it("catch a tensor where a module is expected", function()
    local n = lunet.Sequential()
    errors_with(function() n:add(lunet.ones(2)) end, "module expected, got lunet.Tensor")
    errors_with(function() lunet.Sequential{ lunet.ReLU(), lunet.ones(2) } end,
      "element 2 is not a module (got lunet.Tensor)")
    errors_with(function() lunet.Sequential{ lunet.ReLU(), 42 } end,
      "element 2 is not a module (got number)")
    errors_with(function() lunet.Linear(2, 2):add(lunet.ReLU()) end,
      "Linear:add: only a Sequential has children")
  end)

  it("reject cycles and a module used twice", function()
    local n, inner, relu = lunet.Sequential(), lunet.Sequential(), lunet.ReLU()
    errors_with(function() n:add(n) end, "cycle")
    inner:add(relu)
    n:add(inner)
    errors_with(function() inner:add(n) end, "cycle")
    errors_with(function() n:add(relu) end, "already in this Sequential")
    errors_with(function() lunet.Sequential{ relu, relu } end,
      "lunet.Sequential: ReLU is already in this Sequential")
    -- also when the Sequential added to is itself inside another
    local lin, box = lunet.Linear(2, 2), lunet.Sequential()
    local outer = lunet.Sequential{ box, lin }
    errors_with(function() box:add(lin) end, "already in this Sequential (or one holding it)")
    assert.are.equal(2, #outer:parameters())
  end)
end)

describe("closing", function()
  it("__close releases once; a closed module is a clear error", function()
    local m = lunet.Linear(2, 2)
    do
      local c <close> = m
    end
    -- each error names the type and what was called
    errors_with(function() m:forward(lunet.ones(1, 2)) end,
                "Linear:forward: module has been closed")
    errors_with(function() m:parameters() end, "Linear:parameters: module has been closed")
    errors_with(function() return m.weight end, "Linear.weight: module has been closed")
    errors_with(function() m.weight = 1 end, "Linear.weight: module has been closed")
    assert.are.equal("Linear (closed)", tostring(m))
    getmetatable(m).__close(m)  -- idempotent
    getmetatable(m).__gc(m)
    errors_with(function() lunet.Sequential{ m } end, "element 1 is not a module (got a closed")
    errors_with(function() lunet.Sequential(lunet.ReLU(), m) end,
                "bad argument #2 to 'Sequential' (Linear module has been closed)")
    errors_with(function() lunet.Sequential():add(m) end, "(Linear module has been closed)")
    local p = os.tmpname()
    errors_with(function() lunet.save(p, m) end, "(Linear module has been closed)")
    os.remove(p)
  end)

  it("children outlive their userdata; garbage collection frees cleanly", function()
    local n = lunet.Sequential{ lunet.Linear(2, 3), lunet.ReLU() }
    collectgarbage()
    collectgarbage()
    assert.are.same({ 5, 3 }, n:forward(lunet.ones(5, 2)):size())
    assert.are.equal("Linear", n.modules[1]:type())
    n = nil
    collectgarbage()
  end)
end)

describe("backward{input_grad = false}", function()
  local function grads_of(net, x, dy, opts)
    net:zero_grad()
    net:forward(x)
    local ret = net:backward(x, dy, opts)
    local _, grads = net:parameters()
    local t = {}
    for i, g in ipairs(grads) do t[i] = g:view(g:numel()):totable() end
    return ret, t
  end

  it("gives the same parameter gradients, returns nil, and inner layers still chain",
    function()
    lunet.manual_seed(3)
    local net = lunet.Sequential{lunet.Linear(4, 5), lunet.Tanh(), lunet.Linear(5, 3)}
    local x, dy = lunet.randn(6, 4), lunet.randn(6, 3)
    local ret, want = grads_of(net, x, dy)
    assert.are.same({6, 4}, {ret:size(1), ret:size(2)})
    local before = net.modules[1].grad_input:view(24):totable()
    local ret2, got = grads_of(net, x, dy, {input_grad = false})
    assert.is_nil(ret2)
    assert.are.equal(4, #got)
    -- the first Linear's weight gradient needs the chained gradient of the
    -- inner layers, so equality means they still computed theirs
    assert.are.same(want, got)
    assert.is_true(got[1][1] ~= 0)
    -- the skipped grad_input is no gradient, not the last pass's values
    assert.are.equal(24, #before)
    assert.is_nil(net.grad_input)
    assert.is_nil(net.modules[1].grad_input)
    assert.is_not_nil(net.modules[2].grad_input)
    -- the same where Sequential fuses a ReLU into the Linear before it
    -- (from the second step on, when every buffer is there)
    local fused = lunet.Sequential{lunet.Linear(4, 5), lunet.ReLU(), lunet.Linear(5, 3)}
    grads_of(fused, x, dy)
    grads_of(fused, x, dy)
    assert.is_not_nil(fused.modules[1].grad_input)
    grads_of(fused, x, dy, {input_grad = false})
    assert.is_nil(fused.modules[1].grad_input)
    local ret3 = grads_of(net, x, dy, {input_grad = true})
    assert.are.same({6, 4}, {ret3:size(1), ret3:size(2)})
  end)

  it("rejects unknown keys and non-boolean values", function()
    local lin = lunet.Linear(2, 2)
    local x = lunet.randn(3, 2)
    lin:forward(x)
    errors_with(function() lin:backward(x, x, {inputgrad = false}) end,
      "unknown option 'inputgrad'")
    errors_with(function() lin:backward(x, x, {input_grad = 0}) end,
      "option 'input_grad' must be a boolean")
    errors_with(function() lin:backward(x, x, 5) end, "table expected")
  end)
end)

describe("deep module trees", function()
  -- The deepest tree add accepts: a chain of Sequentials (well below 1000).
  local function deepest()
    local root = lunet.Sequential()
    local tip, depth = root, 1
    while depth < 1000 do
      local inner = lunet.Sequential()
      if not pcall(tip.add, tip, inner) then break end
      tip, depth = inner, depth + 1
    end
    assert(depth < 1000, "no nesting limit below 1000 levels")
    return root, tip, depth
  end

  it("refuses to nest deeper than one limit, with a clear message, either way up", function()
    local root, tip, depth = deepest()
    assert.is_true(depth >= 16)
    local ok, err = pcall(tip.add, tip, lunet.ReLU())
    assert.is_false(ok)
    assert.matches("Sequential:add: modules nest at most " .. depth .. " deep; adding this "
                   .. "ReLU would make a tree " .. depth + 1 .. " deep", err, 1, true)
    -- bottom up, 100,000 levels asked for: the same limit, an error, no stack overflow
    local s = lunet.ReLU()
    local levels = 1
    for _ = 1, 100000 do
      local ok2, err2 = pcall(lunet.Sequential, {s})
      if not ok2 then
        assert.matches("lunet.Sequential: modules nest at most " .. depth .. " deep", err2,
                       1, true)
        break
      end
      s, levels = err2, levels + 1
    end
    assert.equals(depth, levels)
    -- a deep tree cannot be hung under another one either
    local top = lunet.Sequential{lunet.Sequential()}
    ok, err = pcall(top.modules[1].add, top.modules[1], root)
    assert.is_false(ok)
    assert.matches("would make a tree " .. depth + 2 .. " deep", err, 1, true)
  end)

  it("walks the deepest tree: tostring, parameters, zero_grad, train, forward", function()
    local root, tip, depth = deepest()
    root:evaluate()
    assert.is_false(tip.training)
    root:train()
    assert.is_true(tip.training)
    root:zero_grad()
    assert.equals(0, #root:parameters())
    assert.same({2, 3}, root:forward(lunet.ones(2, 3)):size())
    -- every level printed whole, indented two more spaces per level
    local lines = {}
    for line in (tostring(root) .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
    assert.equals(2 * depth - 1, #lines)
    assert.equals("Sequential(", lines[1])
    for level = 1, depth - 2 do
      assert.equals(string.rep(" ", 2 * level) .. "(1): Sequential(", lines[level + 1])
    end
    assert.equals(string.rep(" ", 2 * (depth - 1)) .. "(1): Sequential()", lines[depth])
    assert.equals(")", lines[#lines])
  end)

  it("saves and loads the deepest tree: what save writes, load reads", function()
    local root, _, depth = deepest()
    local p = os.tmpname()
    lunet.save(p, root)
    local back = lunet.load(p)
    os.remove(p)
    assert.equals(tostring(root), tostring(back))
    local n, m = 1, back
    while #m.modules > 0 do n, m = n + 1, m.modules[1] end
    assert.equals(depth, n)
  end)
end)

describe("Linear{bias = false}", function()
  local G = dofile("tests/spec/gradcheck.lua")
  local exact = dofile("tests/spec/exact.lua")
  -- A with no bias against B with a zero bias: the same bits through every
  -- path Sequential fuses (BatchNorm + ReLU after it, a ReLU after it) and
  -- an unfused one.
  local function same_as_zero_bias(tail)
    lunet.manual_seed(2)
    local A = lunet.Sequential{lunet.Linear(4, 6, {bias = false}), table.unpack(tail())}
    local B = lunet.Sequential{lunet.Linear(4, 6), table.unpack(tail())}
    B.modules[1].weight:copy(A.modules[1].weight)
    B.modules[1].bias:fill(0)
    for i = 2, #A do
      local pa, pb = A.modules[i]:parameters(), B.modules[i]:parameters()
      for j = 1, #pa do pb[j]:copy(pa[j]) end
    end
    for _ = 1, 2 do  -- the second step has every buffer: the fused paths run
      local x, dy = lunet.randn(32, 4), lunet.randn(32, 2)
      assert.same(exact(B:forward(x)), exact(A:forward(x)))
      A:zero_grad()
      B:zero_grad()
      assert.same(exact(B:backward(x, dy)), exact(A:backward(x, dy)))
      assert.same(exact(B.modules[1].grad.weight), exact(A.modules[1].grad.weight))
    end
  end

  it("has a weight only, prints and saves as such", function()
    local lin = lunet.Linear(4, 6, {bias = false})
    assert.equals("Linear(4 -> 6, bias=false)", tostring(lin))
    assert.equals(1, #lin:parameters())
    assert.is_false(lin.bias)
    assert.same({"weight"}, G.sorted_keys(lin:state_dict()))
    assert.equals("Linear(4 -> 6, bias=false)", tostring(lunet.Linear(4, 6, false)))
    assert.equals("Linear(4 -> 6, bias=false)", tostring(G.roundtrip(lin)))
    assert.is_true(G.check(lin, lunet.randn(3, 4)) < 1e-2)
  end)

  it("computes what a zero bias gives, fused or not", function()
    same_as_zero_bias(function() return {lunet.BatchNorm(6), lunet.ReLU(), lunet.Linear(6, 2)} end)
    same_as_zero_bias(function() return {lunet.ReLU(), lunet.Linear(6, 2)} end)
    same_as_zero_bias(function() return {lunet.Tanh(), lunet.Linear(6, 2)} end)
  end)
end)
