-- Residual, Concat, Identity, Sequential's get/insert/remove, state dicts,
-- clone, apply, and lunet.save/load of value trees.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")
local exact = dofile("tests/spec/exact.lua")

local errors_with = G.errors_with

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))

local function ok_grad(net, x)
  local worst = G.check(net, x)
  assert.is_true(worst < 2e-2, "relative difference " .. worst)
end

describe("Residual and Concat", function()
  it("pass the gradient check on 2-D input", function()
    lunet.manual_seed(5)
    ok_grad(lunet.Residual(lunet.Sequential{lunet.Linear(4, 4), lunet.Tanh()}), lunet.randn(3, 4))
    ok_grad(lunet.Residual(lunet.Linear(4, 2), lunet.Linear(4, 2)), lunet.randn(3, 4))
    ok_grad(lunet.Concat(2, {lunet.Linear(4, 3), lunet.Sequential{lunet.Linear(4, 2),
      lunet.Sigmoid()}}), lunet.randn(3, 4))
    ok_grad(lunet.Sequential{lunet.Concat(1, lunet.Linear(4, 4), lunet.Identity()),
      lunet.Tanh()}, lunet.randn(3, 4) * 0.5)
  end)

  it("pass the gradient check on 4-D input", function()
    lunet.manual_seed(6)
    local x = lunet.randn(2, 3, 2, 2)
    ok_grad(lunet.Residual(lunet.Sequential{lunet.BatchNorm(3), lunet.Tanh()}), x)
    ok_grad(lunet.Residual(lunet.Tanh(), lunet.BatchNorm(3)), x)
    ok_grad(lunet.Concat(2, {lunet.Tanh(), lunet.BatchNorm(3), lunet.Identity()}), x)
  end)

  it("compute what they say and print their children", function()
    local x = lunet.randn(2, 3)
    local r = lunet.Residual(lunet.Identity())
    assert.same((x * 2):totable(), r(x):totable())
    local c = lunet.Concat(2, {lunet.Identity(), lunet.ReLU()})
    assert.same({2, 6}, c(x):size())
    assert.same(x:totable()[1][1], c(x):totable()[1][1])
    assert.equals("Concat(2,\n  (1): Identity()\n  (2): ReLU()\n)", tostring(c))
    assert.equals("Residual(\n  (block): Identity()\n)", tostring(r))
    assert.equals(2, c.dim)
    assert.equals(2, #c)
    assert.equals("Identity", r.block:type())
  end)

  it("refuse what does not fit", function()
    errors_with(function() lunet.Residual() end, "lunet.Residual: needs 1 to 2 modules, got 0")
    local l = lunet.Linear(2, 2)
    errors_with(function() lunet.Residual(l, l) end, "a module can be used only once")
    errors_with(function() lunet.Residual(lunet.Linear(3, 2))(lunet.randn(2, 3)) end,
      "the block gives 2x2 but the shortcut gives 2x3")
    errors_with(function() lunet.Concat(2, {lunet.Linear(3, 2), lunet.Identity()})(
      lunet.randn(4, 3):view(2, 2, 3)) end, "Concat")
    errors_with(function() lunet.Concat(0, {l}) end, "dim must be in 1..8")
    errors_with(function() lunet.Concat(2, {}) end, "needs at least 1 modules, got 0")
    errors_with(function() lunet.Identity(1) end,
      "lunet.Identity: unexpected argument #1 (expected at most 0, got 1)")
  end)
end)

describe("Sequential's methods", function()
  it("get, insert, remove, # and call", function()
    local a, b, c = lunet.Linear(2, 2), lunet.ReLU(), lunet.Tanh()
    local net = lunet.Sequential{a, b}
    assert.equals(2, #net)
    assert.equals(a, net:get(1))
    assert.equals(net, net:insert(c, 1))
    assert.equals(c, net:get(1))
    assert.equals(net, net:insert(lunet.Identity()))
    assert.equals("Identity", net:get(4):type())
    assert.equals(c, net:remove(1))
    assert.equals("Identity", net:remove():type())
    assert.equals(2, #net)
    local x = lunet.randn(3, 2)
    assert.same(net:forward(x):totable(), net(x):totable())
    errors_with(function() net:get(3) end, "position 3 out of range 1..2")
    errors_with(function() net:insert(a) end, "used only once")
    errors_with(function() a:remove() end, "only a Sequential has children to remove")
    errors_with(function() lunet.Sequential():remove() end, "the Sequential is empty")
  end)

  it("m.modules is the live list of children, as Torch7's", function()
    local net = lunet.Sequential{lunet.Linear(2, 3), lunet.ReLU(), lunet.Linear(3, 1)}
    local list = net.modules
    assert.is_true(rawequal(list, net.modules))
    assert.equals(3, #list)
    assert.equals("{Linear(2 -> 3), ReLU(), Linear(3 -> 1)}", tostring(list))
    local kinds = {}
    for i, m in ipairs(list) do kinds[i] = m:type() end
    assert.same({"Linear", "ReLU", "Linear"}, kinds)
    local n = 0
    for _ in pairs(list) do n = n + 1 end
    assert.equals(3, n)
    list[2] = lunet.Tanh()                       -- replaces the child
    assert.equals("Tanh", net:get(2):type())
    local x = lunet.randn(4, 2)
    assert.equals(0, (net:forward(x) - net:get(3):forward(net:get(2):forward(
      net:get(1):forward(x)))):abs():max())
    table.insert(list, lunet.Sigmoid())          -- appends
    assert.equals(4, #net)
    assert.equals("Sigmoid", table.remove(list):type())   -- takes out the last
    assert.equals(3, #net)
    list[3] = list[3]                            -- the same child: nothing changes
    assert.equals(3, #net)
    errors_with(function() table.insert(list, 1, lunet.ReLU()) end,
      "Sequential.modules[4]: that module is already child 3")
    assert.equals(3, #net)
    errors_with(function() table.remove(list, 1) end, "use net:insert(m, i) and net:remove(i)")
    errors_with(function() list[1] = nil end, "only the last child can be set to nil")
    errors_with(function() list[5] = lunet.ReLU() end, "Sequential.modules[5]: a position in 1..4")
    errors_with(function() list.x = lunet.ReLU() end, "Sequential.modules[x]: a position")
    errors_with(function() list[1] = 5 end, "a module or nil expected, got number")
    errors_with(function() list[1] = net end, "a cycle")
    assert.equals("Linear", net:get(1):type())   -- the refused child left the old one
    local lin = lunet.Linear(2, 2)
    assert.equals(0, #lin.modules)
    assert.is_nil(lin.modules[1])
    errors_with(function() lin.modules[1] = lunet.ReLU() end,
      "Linear.modules[1]: only a Sequential's children can be set")
  end)

  it("keeps a removed layer's parameters for an optimizer made before", function()
    local lin = lunet.Linear(2, 2)
    local net = lunet.Sequential{lin, lunet.ReLU()}
    local opt = lunet.optim.SGD(net, {lr = 0.1})
    net:remove(1)
    lin = nil
    collectgarbage()
    opt:step()  -- its tensors are still alive
  end)
end)

describe("state dicts", function()
  local function build()
    return lunet.Sequential{lunet.Linear(2, 3), lunet.BatchNorm(3), lunet.ReLU(),
      lunet.Residual(lunet.Linear(3, 3)), lunet.Linear(3, 1)}
  end

  it("name parameters and buffers as PyTorch does, with Lua's positions", function()
    local net = build()
    local sd = net:state_dict()
    local names = {}
    for k in pairs(sd) do names[#names + 1] = k end
    table.sort(names)
    assert.same({"1.bias", "1.weight", "2.bias", "2.running_mean", "2.running_var",
      "2.weight", "4.block.bias", "4.block.weight", "5.bias", "5.weight"}, names)
    assert.is_true(sd["2.running_var"]:equal(lunet.ones(3)))
    local np, pnames = net:named_parameters()
    assert.same({"1.weight", "1.bias", "2.weight", "2.bias", "4.block.weight",
      "4.block.bias", "5.weight", "5.bias"}, pnames)
    assert.equals(np["5.bias"], np["5.bias"])
    local bufs, bnames = net:buffers()
    assert.same({"2.running_mean", "2.running_var"}, bnames)
    assert.equals(2, #bufs)
  end)

  it("round-trip, running statistics included", function()
    lunet.manual_seed(8)
    local a, b = build(), build()
    local x = lunet.randn(6, 2)
    a:forward(x)
    a:evaluate()
    b:evaluate()
    assert.are_not.same(a:forward(x):totable(), b:forward(x):totable())
    assert.equals(b, b:load_state_dict(a:state_dict()))
    assert.same(a:forward(x):totable(), b:forward(x):totable())
  end)

  it("refuse wrong shapes, unknown and missing keys (strict)", function()
    local net = build()
    local sd = net:state_dict()
    sd["1.weight"] = lunet.zeros(2, 3)
    errors_with(function() net:load_state_dict(sd) end,
      "Sequential:load_state_dict: '1.weight' has shape 2x3, expected 3x2")
    errors_with(function() net:load_state_dict(sd, {strict = false}) end, "has shape 2x3")
    sd = net:state_dict()
    sd["9.weight"] = lunet.zeros(1)
    errors_with(function() net:load_state_dict(sd) end, "unexpected key '9.weight'")
    net:load_state_dict(sd, {strict = false})
    sd["9.weight"], sd["1.bias"] = nil, nil
    errors_with(function() net:load_state_dict(sd) end, "missing keys: 1.bias")
    net:load_state_dict(sd, {strict = false})
    errors_with(function() net:load_state_dict(sd, {stric = true}) end, "unknown option 'stric'")
    -- nothing was copied by a refused call
    local before = net.modules[1].weight:clone()
    sd = net:state_dict()
    local bad = {}
    for k, v in pairs(sd) do bad[k] = v:clone():fill(7) end
    bad["5.bias"] = lunet.zeros(2)
    errors_with(function() net:load_state_dict(bad) end, "'5.bias' has shape")
    assert.is_true(net.modules[1].weight:equal(before))
  end)

  it("clone deep and apply to every module", function()
    local net = build()
    local c = net:clone()
    assert.equals(tostring(net), tostring(c))
    c.modules[1].weight:fill(0)
    assert.is_false(net.modules[1].weight:equal(c.modules[1].weight))
    local seen = {}
    assert.equals(net, net:apply(function(m) seen[#seen + 1] = m:type() end))
    assert.same({"Linear", "BatchNorm", "ReLU", "Linear", "Residual", "Linear", "Sequential"},
      seen)
  end)
end)

describe("lunet.save and lunet.load of value trees", function()
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("keep shared references, cycles, and modules inside modules", function()
    lunet.manual_seed(9)
    local t = lunet.randn(2, 2)
    local net = lunet.Sequential{lunet.Linear(2, 2), lunet.BatchNorm(2)}
    local tree = {a = t, b = t, list = {1, "two", true, 2.5, false}, net = net,
      first = net.modules[1], [7] = "seven", nested = {deep = {t}}}
    tree.self = tree
    local p = dir .. "/tree.lnet"
    lunet.save(p, tree)
    local back = lunet.load(p)
    assert.equals(back, back.self)
    assert.equals(back.a, back.b)
    assert.equals(back.a, back.nested.deep[1])
    assert.same(t:totable(), back.a:totable())
    assert.same({1, "two", true, 2.5, false}, back.list)
    assert.is_true(math.type(back.list[1]) == "integer")
    assert.equals("seven", back[7])
    assert.equals(back.net.modules[1], back.first)
    assert.equals(tostring(net), tostring(back.net))
    -- the module first, then its container: still one module
    lunet.save(p, {net.modules[2], net})
    back = lunet.load(p)
    assert.equals(back[2].modules[2], back[1])
  end)

  it("refuse what cannot be saved, leaving no file", function()
    local p = dir .. "/no.lnet"
    errors_with(function() lunet.save(p, {f = print}) end,
      "cannot save a value of type function")
    errors_with(function() lunet.save(p, {lunet.Board()}) end, "cannot save a value of type")
    assert.is_nil(io.open(p))
  end)

  it("saves a checkpoint with an optimizer over the tree's own modules", function()
    local net = lunet.Sequential(lunet.Linear(2, 3), lunet.ReLU(), lunet.Linear(3, 2))
    local opt = lunet.optim.Adam({{module = net.modules[1], lr = 0.01},
      {module = net, betas = {0.8, 0.9}}}, {lr = 0.1})
    net:forward(lunet.ones(4, 2)); net:backward(lunet.ones(4, 2), lunet.ones(4, 2))
    opt:step()
    lunet.save(dir .. "/ckpt.lnet", {net = net, opt = opt, step = 1})
    local back = lunet.load(dir .. "/ckpt.lnet")
    assert.equals("Adam", back.opt:type())
    assert.same(exact(opt:state_dict()), exact(back.opt:state_dict()))
    assert.equals(back.net.modules[1], back.opt.param_groups[1].module)
    assert.equals(back.net, back.opt.param_groups[2].module)
    -- the loaded optimizer updates the loaded net's parameters
    back.opt.param_groups[1].params[1]:fill(7)
    assert.equals(7, back.net.modules[1].weight[1][1])
    local sgd = lunet.optim.SGD(lunet.Linear(2, 2), {lr = 0.1, momentum = 0.9})
    lunet.save(dir .. "/sgd.lnet", sgd)
    assert.same(exact(sgd:state_dict()), exact(lunet.load(dir .. "/sgd.lnet"):state_dict()))
  end)
end)
