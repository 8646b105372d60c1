-- Losses and optimizers against PyTorch (tests/fixtures/loss_optim.lua, made by
-- tests/fixtures/gen_loss_optim.py), lunet.init, and bad input.
local lunet = require "lunet"
local fx = dofile("tests/fixtures/loss_optim.lua")

local TOL = 1e-4

-- Largest |got - want| over the elements, relative to the largest |want|
-- (normwise, so elements that are ~0 do not turn float noise into failures).
local function reldiff(got, want)
  local g, w = got, want
  if lunet.is_tensor(g) then g = g:view(g:numel()):totable() end
  if type(w[1]) == "table" then
    local flat = {}
    for _, row in ipairs(w) do for _, v in ipairs(row) do flat[#flat + 1] = v end end
    w = flat
  end
  assert(#g == #w, ("%d elements, expected %d"):format(#g, #w))
  local maxd, maxw = 0, 0
  for i = 1, #w do
    maxd = math.max(maxd, math.abs(g[i] - w[i]))
    maxw = math.max(maxw, math.abs(w[i]))
  end
  return maxd / math.max(maxw, 1e-30)
end

local function close(got, want, what)
  local d = reldiff(got, want)
  assert(d <= TOL, ("%s: relative difference %.3g > %g"):format(what or "value", d, TOL))
end

local function scalar_close(got, want, what)
  local d = math.abs(got - want) / math.max(math.abs(want), 1e-30)
  assert(d <= TOL, ("%s: %.9g vs %.9g (rel %.3g)"):format(what or "value", got, want, d))
end

describe("MSELoss", function()
  it("matches PyTorch's value and gradient", function()
    local mse = lunet.MSELoss()
    local y, t = lunet.tensor(fx.mse.y), lunet.tensor(fx.mse.t)
    scalar_close(mse:forward(y, t), fx.mse.value, "cost")
    scalar_close(mse(y, t), fx.mse.value, "cost through __call")
    close(mse:backward(y, t), fx.mse.grad, "gradient")
  end)

  it("names the loss and both shapes on a mismatch", function()
    local mse = lunet.MSELoss()
    local ok, err = pcall(mse.forward, mse, lunet.zeros(500, 1), lunet.zeros(500, 2))
    assert.is_false(ok)
    assert.matches("MSELoss:forward: input 500x1 and target 500x2 differ in shape", err,
                   1, true)
    ok, err = pcall(mse.backward, mse, lunet.zeros(3), lunet.zeros(4))
    assert.is_false(ok)
    assert.matches("MSELoss:backward", err, 1, true)
  end)

  it("refuses options it does not have, and extra arguments", function()
    local ok, err = pcall(function() return lunet.MSELoss{beta = 1} end)
    assert.is_false(ok)
    assert.matches("lunet.MSELoss: unknown option 'beta' (expected reduction)", err, 1, true)
    ok, err = pcall(function() return lunet.MSELoss({}, 1) end)
    assert.is_false(ok)
    assert.matches("lunet.MSELoss: unexpected argument #2 (expected at most 1, got 2)", err, 1,
      true)
    ok, err = pcall(function() return lunet.CrossEntropyLoss(1) end)
    assert.is_false(ok)
    assert.matches("table expected, got number", err, 1, true)
  end)
  it("returns a NaN or Inf cost as it is; lunet.isfinite tells", function()
    local mse = lunet.MSELoss()
    local c = mse:forward(lunet.tensor{0 / 0, 1}, lunet.tensor{1, 1})
    assert.is_true(c ~= c)
    assert.is_false(lunet.isfinite(c))
    c = mse:forward(lunet.tensor{1 / 0, 1}, lunet.tensor{1, 1})
    assert.equals(math.huge, c)
    assert.is_false(lunet.isfinite(c))
    assert.is_true(lunet.isfinite(mse:forward(lunet.ones(2), lunet.zeros(2))))
    assert.is_false(lunet.isfinite(lunet.tensor{1, 0 / 0}))
    assert.is_true(lunet.isfinite(lunet.tensor{1, 2}))
  end)

  it("keeps its gradient buffer across calls", function()
    local mse = lunet.MSELoss()
    local y, t = lunet.ones(4, 2), lunet.zeros(4, 2)
    local g1 = mse:backward(y, t)
    assert.equals(0.25, g1:get(1, 1))
    mse:backward(y * 3, t)
    assert.equals(0.75, g1:get(1, 1))  -- a view of the same buffer
  end)
end)

describe("CrossEntropyLoss", function()
  it("matches PyTorch, logits of 100 included", function()
    local ce = lunet.CrossEntropyLoss()
    local x, labels = lunet.tensor(fx.ce.x), lunet.tensor(fx.ce.labels)
    scalar_close(ce:forward(x, labels), fx.ce.value, "cost")
    close(ce:backward(x, labels), fx.ce.grad, "gradient")
    scalar_close(ce:forward(x, fx.ce.labels), fx.ce.value, "cost with a table of labels")
  end)

  it("rejects bad labels naming the loss and the index", function()
    local ce = lunet.CrossEntropyLoss()
    local x = lunet.zeros(3, 4)
    local cases = {
      {lunet.tensor{1, 5, 2}, "CrossEntropyLoss:forward: label 5 at index 2 is out of range 1..4"},
      {lunet.tensor{1, 2, 0}, "label 0 at index 3 is out of range 1..4"},
      {lunet.tensor{1, 2.5, 1}, "label at index 2 is 2.5, not a class number"},
      {lunet.tensor{1, 2}, "2 labels for 3 rows of input"},
      {lunet.tensor{{1, 2, 3}}, "labels must be a 1-D tensor"},
      {{1, "x", 2}, 'CrossEntropyLoss:forward: label at index 2 is the string "x", not a '
                    .. "class number"},
      {{1, true, 2}, "label at index 2 is a boolean, not a class number"},
      {{1, 2, {}}, "label at index 3 is a table, not a class number"},
      {{1, 2, 0 / 0}, "label at index 3 is nan, not a class number"},
      {{1, 2, 1 / 0}, "label inf at index 3 is out of range 1..4"},
      {{1, 2}, "2 labels for 3 rows of input"},
      {"labels", "bad argument #3"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(ce.forward, ce, x, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local ok, err = pcall(ce.backward, ce, lunet.zeros(3), lunet.tensor{1, 1, 1})
    assert.is_false(ok)
    assert.matches("CrossEntropyLoss:backward: input must be 2-D", err, 1, true)
    -- a numeric string is a number, as luaL_checkinteger takes it
    assert.equals(ce:forward(x, {1, 2, 3}), ce:forward(x, {"1", "2", "3"}))
    ok, err = pcall(ce.forward, ce, x, {1, 2, 3}, "extra")
    assert.is_false(ok)
    assert.matches("CrossEntropyLoss:forward: unexpected argument #4", err, 1, true)
  end)

  it("says which loss is closed, and what was called", function()
    local ce = lunet.CrossEntropyLoss()
    getmetatable(ce).__close(ce)
    local ok, err = pcall(ce.forward, ce, lunet.zeros(1, 2), {1})
    assert.is_false(ok)
    assert.matches("CrossEntropyLoss:forward: loss has been closed", err, 1, true)
    local mse = lunet.MSELoss()
    getmetatable(mse).__gc(mse)
    ok, err = pcall(mse.backward, mse, lunet.zeros(1), lunet.zeros(1))
    assert.is_false(ok)
    assert.matches("MSELoss:backward: loss has been closed", err, 1, true)
    assert.equals("MSELoss() (closed)", tostring(mse))
  end)
end)

-- The fixture's net: Linear(3,5) BatchNorm1d(5) ReLU Linear(5,2) with PyTorch's
-- initial weights, trained 5 steps on MSE.
local function fixture_net()
  local net = lunet.Sequential{lunet.Linear(3, 5), lunet.BatchNorm(5), lunet.ReLU(),
                               lunet.Linear(5, 2)}
  local params = net:parameters()
  assert.equals(#fx.net.init, #params)
  for i, p in ipairs(params) do p:copy(lunet.tensor(fx.net.init[i])) end
  return net
end

describe("optimizers against PyTorch", function()
  local x, t = lunet.tensor(fx.net.x), lunet.tensor(fx.net.t)
  local names = {}
  for name in pairs(fx.net.runs) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local run = fx.net.runs[name]
    it(name .. ": costs, weights and running stats after 5 steps", function()
      local net = fixture_net()
      local make = name:match("^adam") and lunet.optim.Adam or lunet.optim.SGD
      local opt = make(net, run.opts)
      local mse = lunet.MSELoss()
      for step = 1, #run.costs do
        opt:zero_grad()
        local y = net:forward(x)
        scalar_close(mse:forward(y, t), run.costs[step], "cost at step " .. step)
        net:backward(x, mse:backward(y, t))
        opt:step()
      end
      local params = net:parameters()
      for i, p in ipairs(params) do
        if run.noise_param == i then
          -- Its true gradient is 0 (a bias just before BN); Adam without weight
          -- decay turns the float noise there into steps of about lr, so only
          -- their size can be checked.
          local moved = (p - lunet.tensor(fx.net.init[i])):pow(2):max() ^ 0.5
          assert.is_true(moved <= #run.costs * run.opts.lr * 1.001)
        else
          close(p, run.final[i], "parameter " .. i)
        end
      end
      -- The running mean follows that bias, noise included.
      if not run.noise_param then
        close(net.modules[2].running_mean, run.running_mean, "running_mean")
      end
      close(net.modules[2].running_var, run.running_var, "running_var")
    end)
  end
end)

describe("optimizer fields and errors", function()
  local function one()
    local lin = lunet.Linear(1, 1)
    lin.weight:fill(1)
    lin.bias:fill(0)
    return lin
  end

  it("reads and writes lr for schedules", function()
    local lin = one()
    local opt = lunet.optim.SGD(lin, {lr = 0.1})
    assert.equals(0.1, opt.lr)
    assert.equals(0, opt.momentum)
    local _, grads = lin:parameters()
    grads[1]:fill(1)
    opt:step()
    assert.near(0.9, lin.weight:get(1, 1), 1e-7)
    opt.lr = 0.5
    assert.equals(0.5, opt.lr)
    opt:step()
    assert.near(0.4, lin.weight:get(1, 1), 1e-7)
    assert.equals(2, opt.steps)
    opt:zero_grad()
    assert.equals(0, grads[1]:get(1, 1))
    local adam = lunet.optim.Adam(lin)
    assert.equals(1e-3, adam.lr)
    assert.same({0.9, 0.999}, adam.betas)
    adam.betas = {0.5, 0.6}
    assert.same({0.5, 0.6}, adam.betas)
    assert.matches("Adam%(lr=", tostring(adam))
  end)

  it("rejects bad hyper-parameters with clear errors", function()
    local lin = one()
    local cases = {
      {lunet.optim.SGD, {lr = -0.1}, "lunet.optim.SGD: invalid learning rate -0.1"},
      {lunet.optim.SGD, {lr = 0.1, momentum = -1}, "lunet.optim.SGD: invalid momentum -1"},
      {lunet.optim.SGD, {lr = 0.1, nesterov = true}, "nesterov momentum requires"},
      {lunet.optim.SGD, {momentum = 0.9}, "lunet.optim.SGD: option 'lr' is required"},
      {lunet.optim.SGD, {lr = 0.1, learning_rate = 1},
       "lunet.optim.SGD: unknown option 'learning_rate'"},
      {lunet.optim.SGD, {lr = "fast"}, "option 'lr' must be a number"},
      {lunet.optim.Adam, {betas = {1, 0.999}},
       "lunet.optim.Adam: invalid beta1 1 (must be in [0, 1))"},
      {lunet.optim.Adam, {betas = {0.9, -0.1}}, "lunet.optim.Adam: invalid beta2 -0.1"},
      {lunet.optim.Adam, {betas = 0.9}, "option 'betas' must be a table"},
      {lunet.optim.Adam, {lr = -1}, "lunet.optim.Adam: invalid learning rate -1"},
      {lunet.optim.Adam, {weight_decay = -1}, "lunet.optim.Adam: invalid weight_decay -1"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1], lin, c[2])
      assert.is_false(ok)
      assert.matches(c[3], err, 1, true)
    end
    local opt = lunet.optim.SGD(lin, {lr = 0.1})
    local ok, err = pcall(function() opt.lr = -1 end)
    assert.is_false(ok)
    -- an assignment is no call: the error names the type
    assert.matches("SGD: invalid learning rate -1", err, 1, true)
    assert.not_matches("lunet.optim.SGD", err, 1, true)
    assert.equals(0.1, opt.lr)
    ok, err = pcall(function() opt.speed = 1 end)
    assert.is_false(ok)
    assert.matches("SGD: no settable field 'speed'", err, 1, true)
    ok, err = pcall(lunet.optim.SGD, lunet.ReLU(), {lr = 0.1})
    assert.is_false(ok)
    assert.matches("no parameters", err, 1, true)
  end)

  it("refuses a tensor where a module is expected", function()
    local ok, err = pcall(lunet.optim.SGD, lunet.zeros(2, 2), {lr = 0.1})
    assert.is_false(ok)
    assert.matches("module expected", err, 1, true)
  end)

  it("explains a method called with . instead of :", function()
    local opt = lunet.optim.SGD(one(), {lr = 0.1})
    local ok, err = pcall(function() opt.step() end)
    assert.is_false(ok)
    assert.matches("call it as opt:step()", err, 1, true)
    local mse = lunet.MSELoss()
    ok, err = pcall(function() return mse.forward(lunet.zeros(1), lunet.zeros(1)) end)
    assert.is_false(ok)
    assert.matches("call it as loss:forward", err, 1, true)
  end)

  it("closes idempotently", function()
    local opt = lunet.optim.SGD(one(), {lr = 0.1})
    local mt = getmetatable(opt)
    mt.__close(opt)
    mt.__gc(opt)
    local ok, err = pcall(opt.step, opt)
    assert.is_false(ok)
    assert.matches("SGD:step: optimizer has been closed", err, 1, true)
    -- a field of a closed optimizer is an error, not nil
    ok, err = pcall(function() return opt.lr end)
    assert.is_false(ok)
    assert.matches("SGD.lr: optimizer has been closed", err, 1, true)
    ok, err = pcall(function() return opt.steps end)
    assert.is_false(ok)
    assert.matches("SGD.steps: optimizer has been closed", err, 1, true)
    ok, err = pcall(function() opt.lr = 1 end)
    assert.is_false(ok)
    assert.matches("SGD.lr: optimizer has been closed", err, 1, true)
    assert.equals("SGD optimizer (closed)", tostring(opt))
    assert.is_function(opt.zero_grad)  -- methods are still found, and say it is closed
    ok, err = pcall(opt.zero_grad, opt)
    assert.matches("SGD:zero_grad: optimizer has been closed", err, 1, true)
  end)

  it("refuses an extra argument", function()
    local ok, err = pcall(lunet.optim.SGD, one(), {lr = 0.1}, "extra")
    assert.is_false(ok)
    assert.matches("lunet.optim.SGD: unexpected argument #3", err, 1, true)
    local opt = lunet.optim.Adam(one())
    ok, err = pcall(opt.step, opt, 1)
    assert.is_false(ok)
    assert.matches("Adam:step: unexpected argument #2", err, 1, true)
  end)
end)

describe("lunet.init", function()
  it("fills in place, returns the tensor, and follows manual_seed", function()
    local a, b = lunet.zeros(30, 20), lunet.zeros(30, 20)
    lunet.manual_seed(5)
    assert.equals(a, lunet.init.normal(a, 0, 2))
    lunet.manual_seed(5)
    lunet.init.normal(b, 0, 2)
    assert.equals(0, (a - b):pow(2):sum())
    assert.near(2, a:std(), 0.2)
  end)

  it("uses PyTorch's fans and gains", function()
    local w = lunet.zeros(64, 100)
    local bound = math.sqrt(6 / 100)  -- kaiming relu, fan_in 100
    lunet.init.kaiming_uniform(w, {nonlinearity = "relu"})
    assert.is_true(w:max() <= bound and w:min() >= -bound)
    assert.is_true(w:max() > 0.98 * bound)
    lunet.init.kaiming_uniform(w, {a = math.sqrt(5)})  -- nn.Linear's own default
    local b5 = math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(100)
    assert.is_true(w:max() <= b5 and w:max() > 0.98 * b5)
    lunet.init.kaiming_normal(w, {mode = "fan_out"})
    assert.near(math.sqrt(2 / 64), w:std(), 0.01)
    local bx = math.sqrt(6 / 164)
    lunet.init.xavier_uniform(w)
    assert.is_true(w:max() <= bx and w:max() > 0.98 * bx)
    lunet.init.xavier_normal(w, 2)
    assert.near(2 * math.sqrt(2 / 164), w:std(), 0.02)
    local c = lunet.zeros(8, 3, 5, 5)
    lunet.init.xavier_uniform(c)
    assert.is_true(c:max() <= math.sqrt(6 / (75 + 200)))
    lunet.init.uniform(w, -1, 3)
    assert.is_true(w:min() >= -1 and w:max() < 3)
    lunet.init.constant(w, 0.5)
    assert.equals(0.5, w:min())
    assert.equals(0.5, w:max())
    assert.near(5 / 3, lunet.init.calculate_gain("tanh"), 1e-12)
  end)

  it("rejects bad arguments", function()
    local cases = {
      {lunet.init.xavier_uniform, {lunet.zeros(5)}, "fewer than 2 dimensions"},
      {lunet.init.kaiming_normal, {lunet.zeros(5, 5), {nonlinearity = "swish"}},
       "unsupported nonlinearity 'swish'"},
      {lunet.init.kaiming_normal, {lunet.zeros(5, 5), {mode = "fan_up"}},
       "option 'mode' must be \"fan_in\" or \"fan_out\", got \"fan_up\""},
      {lunet.init.kaiming_uniform, {lunet.zeros(5, 5), {modes = "fan_in"}},
       "lunet.init.kaiming_uniform: unknown option 'modes' (expected a, mode or nonlinearity)"},
      {lunet.init.kaiming_uniform, {lunet.zeros(5, 5), {a = "x"}},
       "lunet.init.kaiming_uniform: option 'a' must be a number, got string"},
      {lunet.init.normal, {lunet.zeros(5), 0, -1}, "lunet.init.normal: std must be"},
      {lunet.init.uniform, {lunet.zeros(5), 1, 0}, "lunet.init.uniform"},
      {lunet.init.constant, {lunet.zeros(5)}, "bad argument #2"},
      {lunet.init.normal, {lunet.Linear(1, 1)}, "bad argument #1"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1], table.unpack(c[2]))
      assert.is_false(ok)
      assert.matches(c[3], err, 1, true)
    end
  end)
end)
