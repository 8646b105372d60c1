-- Modules written in Lua (lunet.Module): one with a parameter, a buffer and
-- a child, inside a Sequential with built-in layers, passes the gradient
-- check, trains with Adam, survives save/load and clone, and its errors
-- come back as errors of the call.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")

local Gate = lunet.Module("Gate")
function Gate:__init(n)
  self:parameter("weight", lunet.randn(n) * 0.5 + 1)
  self:buffer("count", lunet.zeros(1))
  self:child("proj", lunet.Linear(n, n))
  self.n = n
end
function Gate:forward(x)
  if self.training then self.count:add_(1) end
  self.h = self.proj:forward(x):clone()
  return self.h * self.weight
end
function Gate:backward(x, dy)
  local g = dy * self.h  -- the weight's gradient: g's column sums
  for i = 1, g:size(1) do self.grad.weight:add_(g:select(1, i)) end
  return self.proj:backward(x, dy * self.weight)
end

local function build()
  return lunet.Sequential{lunet.Linear(2, 3), lunet.Tanh(), Gate(3), lunet.Linear(3, 1)}
end

local errors_with = G.errors_with

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))

describe("a module written in Lua", function()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("is a module: fields, parameters, state_dict, tostring", function()
    lunet.manual_seed(1)
    local g = Gate(3)
    assert.equals("Gate", g:type())
    assert.equals(3, g.n)
    assert.same({3}, g.weight:size())
    assert.same({1}, g.count:size())
    assert.equals("Linear", g.proj:type())
    assert.same({3}, g.grad.weight:size())
    assert.equals("Gate(\n  (proj): Linear(3 -> 3)\n)", tostring(g))
    local p = g:parameters()
    assert.equals(3, #p)  -- weight, proj.weight, proj.bias
    local _, names = g:named_parameters()
    assert.same({"weight", "proj.weight", "proj.bias"}, names)
    local sd = g:state_dict()
    assert.same({1}, sd.count:size())
    assert.same({3, 3}, sd["proj.weight"]:size())
    assert.is_true(g.training)
    g:evaluate()
    assert.is_false(g.training)
    errors_with(function() return g.nope end, "Gate: no field 'nope'")
    errors_with(function() g.weight = lunet.zeros(3) end, "cannot assign field 'weight'")
    errors_with(function() g:parameter("late", lunet.zeros(1)) end,
      "Gate:parameter: parameters and buffers are registered in __init")
    errors_with(function() lunet.Linear(2, 2):parameter("w", lunet.zeros(1)) end,
      "only a module written in Lua")
    errors_with(function() lunet.Module(5) end,
      "bad argument #1 to 'Module' (string expected, got number)")
  end)

  it("passes the gradient check inside a Sequential with built-in layers", function()
    lunet.manual_seed(2)
    local net = build()
    local worst = G.check(net, lunet.randn(5, 2))
    assert.is_true(worst < 2e-2, "relative difference " .. worst)
  end)

  it("trains with Adam (the optimizer sees its parameter)", function()
    lunet.manual_seed(3)
    local net, mse = build(), lunet.MSELoss()
    local x = lunet.randn(64, 2)
    local y = x:narrow(2, 1, 1) * 0.5 - x:narrow(2, 2, 1) * 0.3
    local opt = lunet.optim.Adam(net, {lr = 0.02})
    local w0 = net.modules[3].weight:clone()
    local first, last
    for step = 1, 150 do
      opt:zero_grad()
      local out = net(x)
      local cost = mse:forward(out, y)
      net:backward(x, mse:backward(out, y))
      opt:step()
      first = first or cost
      last = cost
    end
    assert.is_true(last < first / 5, ("cost %g -> %g"):format(first, last))
    assert.is_false(net.modules[3].weight:equal(w0))
    assert.equals(150, net.modules[3].count:get(1))
  end)

  it("survives save and load, and clone", function()
    lunet.manual_seed(4)
    local net = build()
    local x = lunet.randn(4, 2)
    net:forward(x)
    net:evaluate()
    local p = dir .. "/gate.lnet"
    lunet.save(p, net)
    local back = lunet.load(p)
    assert.equals(tostring(net), tostring(back))
    assert.equals("Gate", back.modules[3]:type())
    assert.equals(3, back.modules[3].n)
    assert.same(net.modules[3].count:totable(), back.modules[3].count:totable())
    assert.same(net:forward(x):totable(), back:forward(x):totable())
    assert.is_false(back.modules[3].training)

    local c = net:clone()
    assert.same(net:forward(x):totable(), c:forward(x):totable())
    c.modules[3].weight:fill(0)
    assert.is_false(net.modules[3].weight:equal(c.modules[3].weight))
    assert.equals(3, c.modules[3].n)
  end)

  it("says clearly when its class is not defined where it is loaded", function()
    local p = dir .. "/ghost.lnet"
    local Ghost = lunet.Module("Ghost")
    function Ghost:forward(x) return x end
    lunet.save(p, Ghost())
    local f = assert(io.popen(("build/lunet -e 'print(pcall(require(\"lunet\").load, %q))' 2>&1")
      :format(p)))
    local out = f:read("a")
    f:close()
    assert.matches("the module class 'Ghost' is not defined", out, 1, true)
    assert.matches('lunet.Module("Ghost")', out, 1, true)
  end)

  it("registers a module assigned to a field as a child, as PyTorch does", function()
    local Two = lunet.Module("Two")
    function Two:__init()
      self.fc = lunet.Linear(2, 2)
      self.out = self:child("out", lunet.Linear(2, 1))  -- the same child again: no change
      self:parameter("s", lunet.ones(1))
    end
    function Two:forward(x) return self.out:forward(self.fc:forward(x)) * self.s end
    function Two:backward(x, dy)
      return self.fc:backward(x, self.out:backward(self.fc.output, dy * self.s))
    end
    lunet.manual_seed(3)
    local m = Two()
    local _, names = m:named_parameters()
    assert.same({"s", "fc.weight", "fc.bias", "out.weight", "out.bias"}, names)
    assert.equals("Two(\n  (fc): Linear(2 -> 2)\n  (out): Linear(2 -> 1)\n)", tostring(m))
    -- trained: the optimizer sees fc, and zero_grad reaches it
    local before = m.fc.weight:clone()
    local opt = lunet.optim.SGD(m, {lr = 0.1})
    local x, y = lunet.randn(4, 2), lunet.randn(4, 1)
    local mse = lunet.MSELoss()
    local out = m:forward(x)
    mse:forward(out, y)
    m:backward(x, mse:backward(out, y))
    opt:step()
    assert.is_true((m.fc.weight - before):abs():max() > 0)
    m:zero_grad()
    assert.equals(0, m.fc.grad.weight:abs():max())
    -- saved and loaded with it
    local path = dir .. "/two.lunet"
    lunet.save(path, m)
    local r = lunet.load(path)
    assert.equals(0, (r.fc.weight - m.fc.weight):abs():max())
    -- a module over a Lua field is refused, later children are fine
    m.tag = "x"
    errors_with(function() m.tag = lunet.ReLU() end,
      "Two.tag: a module cannot replace the Lua field 'tag'")
    m.act = lunet.ReLU()
    assert.equals("ReLU", m.act:type())
    local closed = lunet.ReLU()
    do local _ <close> = closed end
    errors_with(function() m.gone = closed end, "Two.gone: ReLU module has been closed")
  end)

  it("turns an error in forward or backward into an error of the call", function()
    local Bad = lunet.Module("Bad")
    function Bad:forward(x) error("no luck") end
    local net = lunet.Sequential{lunet.Linear(2, 2), Bad()}
    errors_with(function() net:forward(lunet.randn(3, 2)) end,
      "Sequential:forward: module 2: Bad: ")
    errors_with(function() net:forward(lunet.randn(3, 2)) end, "no luck")
    local Odd = lunet.Module("Odd")
    function Odd:forward(x) return 1 end
    errors_with(function() Odd():forward(lunet.randn(3, 2)) end,
      "forward must return a tensor, got number")
    errors_with(function() Odd():backward(lunet.randn(1), lunet.randn(1)) end,
      "backward called before forward")
  end)
end)
