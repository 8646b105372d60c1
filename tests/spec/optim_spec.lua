-- optim_spec.lua: parameter groups, the state of a run (opt:state_dict,
-- opt:load_state_dict, lunet.get_rng_state, lunet.set_rng_state), fields and
-- their errors. The update formulas against PyTorch are in loss_optim_spec.lua.
local lunet = require "lunet"

local function net3()
  return lunet.Sequential{lunet.Linear(3, 4), lunet.BatchNorm(4), lunet.ReLU(),
                          lunet.Linear(4, 2)}
end

local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "no error, expected: " .. pattern)
  assert.matches(pattern, tostring(err), 1, true)
end

-- bit-for-bit equality of two tensors
local function same(a, b) return a:equal(b) end

-- k steps on fixed batches from seed s
local function train(net, opt, k, seed)
  local mse = lunet.MSELoss()
  for i = 1, k do
    lunet.manual_seed(seed * 1000 + i)
    local x, t = lunet.randn(8, 3), lunet.randn(8, 2)
    opt:zero_grad()
    local y = net:forward(x)
    net:backward(x, mse:backward(y, t))
    opt:step()
  end
end

local function copy_weights(dst, src)
  local pd, ps = dst:parameters(), src:parameters()
  for i = 1, #pd do pd[i]:copy(ps[i]) end
  dst.modules[2].running_mean:copy(src.modules[2].running_mean)
  dst.modules[2].running_var:copy(src.modules[2].running_var)
end

describe("parameter groups", function()
  it("give each group its own options, defaults from the second argument", function()
    local net = net3()
    local opt = lunet.optim.SGD({{module = net.modules[1], lr = 0.1}, {module = net}},
                                {lr = 0.01, momentum = 0.9})
    local groups = opt.param_groups
    assert.equals(2, #groups)
    assert.equals(0.1, groups[1].lr)
    assert.equals(0.9, groups[1].momentum)
    assert.equals(0.01, groups[2].lr)
    -- the second group holds the rest of net: BatchNorm's and the last Linear's
    assert.equals(2, #groups[1].params)
    assert.equals(4, #groups[2].params)
    assert.equals(net.modules[1], groups[1].module)
    assert.equals(net, groups[2].module)
    local w = net.modules[1].weight
    assert.is_true(same(w, groups[1].params[1]))
    groups[1].params[1]:fill(1)  -- a view: the layer's weight
    assert.equals(1, w:get(1, 1))
  end)

  it("update each group with its own learning rate", function()
    local a, b = lunet.Linear(1, 1), lunet.Linear(1, 1)
    local net = lunet.Sequential{a, b}
    for _, p in ipairs(net:parameters()) do p:fill(1) end
    local opt = lunet.optim.SGD({{module = a, lr = 0.5}, {module = net}}, {lr = 0.1})
    local _, grads = net:parameters()
    for _, g in ipairs(grads) do g:fill(1) end
    opt:step()
    assert.near(0.5, a.weight:get(1, 1), 1e-7)
    assert.near(0.9, b.weight:get(1, 1), 1e-7)
    opt.param_groups[2].lr = 0.2  -- a scheduler's write
    opt:step()
    assert.near(0.7, b.weight:get(1, 1), 1e-6)
    opt:zero_grad()
    for _, g in ipairs(grads) do assert.equals(0, g:sum()) end
  end)

  it("read opt.lr when the groups agree, and write every group", function()
    local net = net3()
    local opt = lunet.optim.Adam({{module = net.modules[1], lr = 0.1}, {module = net}})
    fails("Adam.lr: the parameter groups have different values", function() return opt.lr end)
    opt.lr = 0.05
    assert.equals(0.05, opt.lr)
    assert.equals(0.05, opt.param_groups[1].lr)
    assert.same({0.9, 0.999}, opt.betas)
    fails("Adam: invalid learning rate -1", function() opt.lr = -1 end)
    assert.equals(0.05, opt.param_groups[2].lr)  -- refused: no group changed
    fails("Adam.param_groups[2]: invalid beta1 2",
      function() opt.param_groups[2].betas = {2, 0.5} end)
    fails("Adam.param_groups[1]: option 'betas' must be a table of 2 numbers",
      function() opt.param_groups[1].betas = 0.5 end)
    fails("Adam.param_groups[1]: no settable field 'params'",
      function() opt.param_groups[1].params = {} end)
    fails("Adam.param_groups[1]: no field 'lrr'", function() return opt.param_groups[1].lrr end)
    assert.matches("^Adam param group 1 %(lr=0.05, betas={0.9, 0.999}",
      tostring(opt.param_groups[1]))
    assert.matches("^Adam%({lr=0.05", tostring(opt))
  end)

  it("refuse a group without parameters of its own, and bad groups", function()
    local net = net3()
    fails("lunet.optim.SGD: group 2: every parameter of its module is already in an earlier group",
      lunet.optim.SGD, {{module = net}, {module = net.modules[1]}}, {lr = 0.1})
    fails("lunet.optim.SGD: group 2: every parameter of its module is already in an earlier group",
      lunet.optim.SGD, {{module = net.modules[1]}, {module = net.modules[1]}}, {lr = 0.1})
    fails("lunet.optim.SGD: group 2: the module has no parameters",
      lunet.optim.SGD, {{module = net}, {module = net.modules[3]}}, {lr = 0.1})
    fails("lunet.optim.SGD: group 1: option 'lr' is required (in the group or in the defaults)",
      lunet.optim.SGD, {{module = net}})
    fails("lunet.optim.SGD: group 1: unknown option 'lrr' (expected lr, momentum, dampening, "
      .. "weight_decay, nesterov or module)", lunet.optim.SGD, {{module = net, lrr = 1}})
    fails("lunet.optim.SGD: group 1: option 'module' is required", lunet.optim.SGD, {{lr = 1}})
    fails("lunet.optim.SGD: group 1: option 'module' must be a module, got lunet.Tensor",
      lunet.optim.SGD, {{module = lunet.zeros(2)}}, {lr = 1})
    fails("lunet.optim.SGD: group 2: must be a table", lunet.optim.SGD, {{module = net}, 5},
      {lr = 1})
    fails("lunet.optim.SGD: group 2: invalid momentum -1",
      lunet.optim.SGD, {{module = net.modules[1]}, {module = net, momentum = -1}}, {lr = 1})
    fails("lunet.optim.SGD: no parameter groups given", lunet.optim.SGD, {}, {lr = 1})
    fails("lunet.optim.Adam: option 'lr' must be a number, got string",
      lunet.optim.Adam, net, {lr = "0.1"})
  end)
end)

describe("fields", function()
  it("an unknown field or optimizer is an error naming the type and the field", function()
    local opt = lunet.optim.SGD(net3(), {lr = 0.1})
    fails("SGD: no field 'lrr' (fields: lr, momentum, dampening, weight_decay, nesterov, "
      .. "param_groups or steps)", function() return opt.lrr end)
    fails("SGD: no field '1'", function() return opt[1] end)
    fails("lunet.optim: unknown optimizer 'Adamax' (expected SGD, Adam, AdamW, RMSprop or Adagrad)",
      function() return lunet.optim.Adamax end)
    assert.equals("SGD", opt:type())
    assert.equals("Adam", lunet.optim.Adam(net3()):type())
    fails("SGD:type: unexpected argument #2", opt.type, opt, 1)
  end)
end)

describe("the state of a run", function()
  local function resume(make, opts, what)
    lunet.manual_seed(1)
    local net = net3()
    local opt = make(net, opts)
    train(net, opt, 3, 1)
    local sd = opt:state_dict()
    local net2 = net3()
    copy_weights(net2, net)
    train(net, opt, 3, 2)
    local opt2 = make(net2, {lr = 0.5})  -- hyper-parameters come from the state
    opt2:load_state_dict(sd)
    train(net2, opt2, 3, 2)
    local p1, p2 = net:parameters(), net2:parameters()
    for i = 1, #p1 do assert.is_true(same(p1[i], p2[i]), what .. ": parameter " .. i) end
  end

  it("continues bit for bit after load_state_dict: SGD momentum", function()
    resume(lunet.optim.SGD, {lr = 0.05, momentum = 0.9, weight_decay = 1e-3}, "SGD")
  end)
  it("continues bit for bit after load_state_dict: SGD nesterov", function()
    resume(lunet.optim.SGD, {lr = 0.05, momentum = 0.9, nesterov = true}, "nesterov")
  end)
  it("continues bit for bit after load_state_dict: Adam", function()
    resume(lunet.optim.Adam, {lr = 0.01, betas = {0.8, 0.99}, weight_decay = 0.1}, "Adam")
  end)
  for _, c in ipairs{
    {"AdamW", {lr = 0.01, weight_decay = 0.1}}, {"AdamW", {amsgrad = true}},
    {"Adam", {amsgrad = true, weight_decay = 0.01}},
    {"RMSprop", {momentum = 0.9, centered = true}}, {"RMSprop", {}},
    {"Adagrad", {lr_decay = 0.1, initial_accumulator_value = 0.3}},
  } do
    it("continues bit for bit after load_state_dict: " .. c[1], function()
      resume(lunet.optim[c[1]], c[2], c[1])
    end)
  end

  it("has PyTorch's shape, with copies of the tensors", function()
    local net = net3()
    local opt = lunet.optim.Adam({{module = net.modules[4], lr = 0.1}, {module = net}})
    local sd = opt:state_dict()
    assert.same({}, sd.state)  -- no step yet
    train(net, opt, 2, 1)
    sd = opt:state_dict()
    assert.equals(2, #sd.param_groups)
    assert.same({1, 2}, sd.param_groups[1].params)
    assert.same({3, 4, 5, 6}, sd.param_groups[2].params)
    assert.equals(0.1, sd.param_groups[1].lr)
    assert.same({0.9, 0.999}, sd.param_groups[2].betas)
    assert.equals(1e-8, sd.param_groups[2].eps)
    assert.equals(2, sd.state[1].step)
    assert.same({2, 4}, sd.state[1].exp_avg:size())  -- the last Linear's weight
    assert.same({4}, sd.state[6].exp_avg_sq:size())
    local keep = sd.state[1].exp_avg:clone()
    train(net, opt, 1, 3)
    assert.is_true(same(keep, sd.state[1].exp_avg))  -- a copy, not a view
    local sgd = lunet.optim.SGD(net, {lr = 0.1})  -- no momentum: no buffers
    train(net, sgd, 1, 1)
    assert.same({}, sgd:state_dict().state)
    assert.same({lr = 0.1, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false,
                 params = {1, 2, 3, 4, 5, 6}}, sgd:state_dict().param_groups[1])
  end)

  it("maps saved ids to the parameters in order, and replaces the whole state", function()
    local net = lunet.Linear(2, 2)
    local opt = lunet.optim.SGD(net, {lr = 0.1, momentum = 0.9})
    local b = lunet.ones(2, 2)
    opt:load_state_dict{state = {[10] = {momentum_buffer = b}},
                        param_groups = {{lr = 0.2, params = {10, 11}}}}
    assert.equals(0.2, opt.lr)
    assert.equals(0.9, opt.momentum)  -- absent: kept
    local sd = opt:state_dict()
    assert.is_true(same(b, sd.state[1].momentum_buffer))
    assert.is_nil(sd.state[2])
    opt:load_state_dict{state = {}, param_groups = {{params = {1, 2}}}}
    assert.same({}, opt:state_dict().state)
  end)

  it("refuses a bad state with clear errors, changing nothing", function()
    local net = net3()
    local opt = lunet.optim.Adam(net, {lr = 0.01})
    train(net, opt, 1, 1)
    local good = opt:state_dict()
    local function bad(pattern, f)
      local s = opt:state_dict()
      f(s)
      fails("Adam:load_state_dict: " .. pattern, opt.load_state_dict, opt, s)
    end
    bad("the state has 2 parameter groups, the optimizer 1",
      function(s) s.param_groups[2] = s.param_groups[1] end)
    bad("group 1: 5 parameters in the state, 6 in the optimizer",
      function(s) s.param_groups[1].params[6] = nil end)
    bad("group 1: unknown option 'momentum' (expected lr, betas, eps, weight_decay, amsgrad or params)",
      function(s) s.param_groups[1].momentum = 0.9 end)
    bad("group 1: option 'lr' must be a number, got string",
      function(s) s.param_groups[1].lr = "x" end)
    bad("group 1: invalid learning rate -1", function(s) s.param_groups[1].lr = -1 end)
    bad("parameter id 1 is given twice", function(s) s.param_groups[1].params[2] = 1 end)
    bad("state[1]: 'exp_avg' is 3x4, parameter 1 is 4x3",
      function(s) s.state[1].exp_avg = lunet.zeros(3, 4) end)
    bad("state[2]: option 'exp_avg' must be a lunet.Tensor, got number",
      function(s) s.state[2].exp_avg = 1 end)
    bad("state[2]: a state has every one of exp_avg, exp_avg_sq or step or none",
      function(s) s.state[2].exp_avg_sq = nil end)
    bad("state[3]: unknown option 'momentum_buffer'",
      function(s) s.state[3].momentum_buffer = lunet.zeros(4) end)
    bad("state[3]: option 'step' must be in 0..", function(s) s.state[3].step = -1 end)
    bad("state[9] belongs to no parameter of the groups", function(s) s.state[9] = {} end)
    bad("unknown option 'stat' (expected state or param_groups)", function(s) s.stat = 1 end)
    bad("'param_groups' must be a list of groups, got nil", function(s) s.param_groups = nil end)
    local freed = lunet.zeros(4, 3)
    bad("state[1]: option 'exp_avg': the tensor has been freed", function(s)
      s.state[1].exp_avg = freed
      getmetatable(freed).__close(freed)
    end)
    -- nothing changed: the state is still the one trained
    local now = opt:state_dict()
    for i, st in pairs(good.state) do
      assert.is_true(same(st.exp_avg, now.state[i].exp_avg))
      assert.equals(st.step, now.state[i].step)
    end
    assert.equals(0.01, opt.lr)
    fails("Adam:load_state_dict: unexpected argument #3", opt.load_state_dict, opt, good, 1)
    fails("table expected, got no value", opt.load_state_dict, opt)
  end)

  it("survives an optimizer closed while its state table is read", function()
    local net = net3()
    local opt = lunet.optim.SGD(net, {lr = 0.1})
    local s = opt:state_dict()
    s.param_groups[1] = setmetatable({params = {1, 2, 3, 4, 5, 6}}, {__index = function(_, k)
      if k == "lr" then getmetatable(opt).__close(opt) end
    end})
    fails("SGD:load_state_dict: optimizer has been closed", opt.load_state_dict, opt, s)
  end)
end)

describe("the RNG state", function()
  it("continues the same stream after set_rng_state", function()
    lunet.manual_seed(7)
    lunet.randn(5)  -- leaves a spare normal
    local s = lunet.get_rng_state()
    assert.equals("string", type(s))
    assert.equals(56, #s)
    local a = lunet.randn(7)
    local ua = lunet.rand(3)
    lunet.manual_seed(99)
    lunet.set_rng_state(s)
    assert.is_true(same(a, lunet.randn(7)))
    assert.is_true(same(ua, lunet.rand(3)))
    assert.equals(s, (function() lunet.set_rng_state(s); return lunet.get_rng_state() end)())
  end)

  it("refuses a bad state", function()
    local s = lunet.get_rng_state()
    fails("lunet.set_rng_state: an RNG state is 56 bytes, got 3", lunet.set_rng_state, "abc")
    fails("lunet.set_rng_state: not an RNG state", lunet.set_rng_state, ("x"):rep(56))
    fails("lunet.set_rng_state: an all-zero RNG state is invalid", lunet.set_rng_state,
      s:sub(1, 8) .. ("\0"):rep(32) .. s:sub(41))
    fails("lunet.set_rng_state: a bad RNG state (has_spare 2)", lunet.set_rng_state,
      s:sub(1, 40) .. "\2" .. s:sub(42))
    fails("bad argument #1 to 'lunet.set_rng_state' (string from lunet.get_rng_state "
      .. "expected, got number)",
      lunet.set_rng_state, 5)
    fails("lunet.set_rng_state: unexpected argument #2", lunet.set_rng_state, s, 1)
    fails("lunet.get_rng_state: unexpected argument #1", lunet.get_rng_state, 1)
    assert.equals(s, lunet.get_rng_state())  -- unchanged by the refusals
  end)
end)
