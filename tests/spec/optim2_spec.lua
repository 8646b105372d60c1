-- optim2_spec.lua: AdamW, Adam's amsgrad, RMSprop, Adagrad, lunet.clip_grad_norm,
-- lunet.clip_grad_value and the learning-rate schedules against PyTorch
-- (tests/fixtures/optim2.lua, made by tests/fixtures/gen_optim2.py), their
-- state dicts and their errors.
local lunet = require "lunet"
local fx = dofile("tests/fixtures/optim2.lua")

local GOAL = 1e-4

-- The largest relative error of the numbers a against b (tables or tensors,
-- nested alike), each relative to max(|b|, 1e-3) so that a value near zero
-- is measured absolutely.
local function relerr(a, b)
  if type(a) == "userdata" then a = a:totable() end
  if type(a) == "table" then
    local worst = 0
    assert.equals(#b, #a)
    for i = 1, #b do worst = math.max(worst, relerr(a[i], b[i])) end
    return worst
  end
  return math.abs(a - b) / math.max(math.abs(b), 1e-3)
end

local function close(a, b, what)
  local e = relerr(a, b)
  assert.is_true(e < GOAL, ("%s: relative error %g"):format(what, e))
  return e
end

local G = dofile("tests/spec/gradcheck.lua")
local errors_with, sorted_keys = G.errors_with, G.sorted_keys

-- f(...) raises a message containing pattern.
local function fails(pattern, f, ...)
  local args = table.pack(...)
  errors_with(function() return f(table.unpack(args, 1, args.n)) end, pattern)
end

describe("optimizers against PyTorch (5 steps)", function()
  local worst = 0
  for _, name in ipairs(sorted_keys(fx.optim)) do
    local c = fx.optim[name]
    it(name, function()
      local lin = lunet.Linear(3, 4)
      local params, grads = lin:parameters()
      for i, p in ipairs(params) do p:copy(lunet.tensor(c.init[i])) end
      local opt = lunet.optim[c.kind](lin, c.opts)
      for k = 1, #c.grads do
        for i, g in ipairs(grads) do g:copy(lunet.tensor(c.grads[k][i])) end
        opt:step()
        for i, p in ipairs(params) do
          worst = math.max(worst, close(p, c.after[k][i], ("step %d, parameter %d"):format(k, i)))
        end
      end
      local sd = opt:state_dict()
      for i, slots in pairs(c.state) do
        assert.same(sorted_keys(slots), (function()
          local ks = sorted_keys(sd.state[i])
          for j = #ks, 1, -1 do if ks[j] == "step" then table.remove(ks, j) end end
          return ks
        end)(), "the state's slots of parameter " .. i)
        for slot, v in pairs(slots) do close(sd.state[i][slot], v, slot) end
        assert.equals(#c.grads, sd.state[i].step)
      end
    end)
  end
  it("(largest relative error over every case, for the record)", function()
    assert.is_true(worst < GOAL)
    print(("\n  optimizers: largest relative error %.3g"):format(worst))
  end)
end)

describe("the new optimizers' state", function()
  it("names only the slots PyTorch has", function()
    local lin = lunet.Linear(2, 2)
    local function slots(opt)
      lin:zero_grad()
      opt:step()
      local ks = sorted_keys(opt:state_dict().state[1])
      return table.concat(ks, " ")
    end
    assert.equals("exp_avg exp_avg_sq step", slots(lunet.optim.Adam(lin)))
    assert.equals("exp_avg exp_avg_sq max_exp_avg_sq step",
      slots(lunet.optim.AdamW(lin, {amsgrad = true})))
    assert.equals("square_avg step", slots(lunet.optim.RMSprop(lin)))
    assert.equals("grad_avg momentum_buffer square_avg step",
      slots(lunet.optim.RMSprop(lin, {momentum = 0.5, centered = true})))
    assert.equals("step sum", slots(lunet.optim.Adagrad(lin)))
  end)

  it("refuses a state missing a slot its options need", function()
    local lin = lunet.Linear(2, 2)
    local opt = lunet.optim.Adam(lin)
    opt:step()
    local sd = opt:state_dict()
    sd.param_groups[1].amsgrad = true
    fails("Adam:load_state_dict: state[1]: a state has every one of", opt.load_state_dict,
      opt, sd)
  end)

  it("has PyTorch's defaults", function()
    local lin = lunet.Linear(2, 2)
    local w = lunet.optim.AdamW(lin)
    assert.equals(1e-2, w.weight_decay)
    assert.is_false(w.amsgrad)
    local r = lunet.optim.RMSprop(lin)
    assert.equals(1e-2, r.lr)
    assert.equals(0.99, r.alpha)
    local a = lunet.optim.Adagrad(lin)
    assert.equals(1e-10, a.eps)
  end)
end)

describe("the new optimizers' errors", function()
  local lin = lunet.Linear(2, 2)
  for _, c in ipairs{
    {"AdamW", {lr = -1}, "lunet.optim.AdamW: invalid learning rate -1"},
    {"AdamW", {weight_decay = -0.1}, "lunet.optim.AdamW: invalid weight_decay -0.1"},
    {"Adam", {amsgrad = 1}, "amsgrad"},
    {"RMSprop", {lr = -0.1}, "lunet.optim.RMSprop: invalid learning rate -0.1"},
    {"RMSprop", {weight_decay = -1}, "lunet.optim.RMSprop: invalid weight_decay -1"},
    {"RMSprop", {alpha = 1.5}, "lunet.optim.RMSprop: invalid alpha 1.5"},
    {"RMSprop", {momentum = -1}, "lunet.optim.RMSprop: invalid momentum -1"},
    {"RMSprop", {eps = -1}, "lunet.optim.RMSprop: invalid eps -1"},
    {"Adagrad", {lr = -0.1}, "lunet.optim.Adagrad: invalid learning rate -0.1"},
    {"Adagrad", {weight_decay = -1}, "lunet.optim.Adagrad: invalid weight_decay -1"},
    {"Adagrad", {lr_decay = -1}, "lunet.optim.Adagrad: invalid lr_decay -1"},
    {"Adagrad", {initial_accumulator_value = -1},
     "lunet.optim.Adagrad: invalid initial_accumulator_value -1"},
    {"Adagrad", {momentum = 0.9}, "lunet.optim.Adagrad: unknown option 'momentum'"},
  } do
    it(c[3], function() fails(c[3], lunet.optim[c[1]], lin, c[2]) end)
  end
  it("a closed optimizer", function()
    local opt = lunet.optim.RMSprop(lin)
    getmetatable(opt).__close(opt)
    fails("RMSprop:step: optimizer has been closed", opt.step, opt)
    fails("RMSprop.lr: optimizer has been closed", function() return opt.lr end)
  end)
end)

describe("gradient clipping against PyTorch", function()
  local function with_grads(grads)
    local lin = lunet.Linear(3, 4)
    local _, g = lin:parameters()
    for i, t in ipairs(g) do t:copy(lunet.tensor(grads[i])) end
    return lin, g
  end
  for i, c in ipairs(fx.clip_norm) do
    it(("clip_grad_norm %d: max_norm %g, norm_type %g"):format(i, c.max_norm, c.norm_type),
      function()
        local lin, g = with_grads(c.grads)
        local total = lunet.clip_grad_norm(lin, c.max_norm, c.norm_type)
        close({total}, {c.total}, "total norm")
        for j, t in ipairs(g) do close(t, c.clipped[j], "gradient " .. j) end
      end)
  end
  it("clip_grad_norm: norm_type 2 by default", function()
    local c = fx.clip_norm[1]
    assert.equals(2, c.norm_type)
    local lin = with_grads(c.grads)
    close({lunet.clip_grad_norm(lin, c.max_norm)}, {c.total}, "total norm")
  end)
  it("clip_grad_value", function()
    local c = fx.clip_value
    local lin, g = with_grads(c.grads)
    assert.equals(0, select("#", lunet.clip_grad_value(lin, c.value)))
    for j, t in ipairs(g) do close(t, c.clipped[j], "gradient " .. j) end
  end)
  it("refuses bad arguments", function()
    local lin = lunet.Linear(2, 2)
    fails("lunet.clip_grad_norm: invalid max_norm -1", lunet.clip_grad_norm, lin, -1)
    fails("lunet.clip_grad_norm: invalid norm_type 0", lunet.clip_grad_norm, lin, 1, 0)
    fails("lunet.clip_grad_norm: invalid max_norm ", lunet.clip_grad_norm, lin, 0 / 0)
    fails("number expected", lunet.clip_grad_norm, lin)
    fails("lunet.clip_grad_norm", lunet.clip_grad_norm, lin, 1, 2, 3)
    fails("module expected", lunet.clip_grad_norm, {}, 1)
    fails("lunet.clip_grad_value: invalid clip value -0.5", lunet.clip_grad_value, lin, -0.5)
    fails("lunet.clip_grad_value", lunet.clip_grad_value, lin, 1, 2)
  end)
end)

describe("learning-rate schedules against PyTorch (100 epochs)", function()
  local S = lunet.optim.lr_scheduler
  local function two_groups(opts)
    local net = lunet.Sequential{lunet.Linear(2, 2), lunet.Linear(2, 2)}
    opts = opts or {lr = 0.1, momentum = 0.9}
    return lunet.optim.SGD({{module = net.modules[1], lr = fx.group_lrs[1]},
                            {module = net.modules[2], lr = fx.group_lrs[2]}}, opts), net
  end
  local function lrs(opt)
    local out = {}
    for i, g in ipairs(opt.param_groups) do out[i] = g.lr end
    return out
  end
  local worst = 0
  for _, name in ipairs(sorted_keys(fx.sched)) do
    local c = fx.sched[name]
    it(name, function()
      local opt = two_groups()
      local sched = S[c.kind](opt, c.opts)
      for e = 1, #c.lrs do
        -- ReduceLROnPlateau's lrs are recorded after each step on its metric
        if c.metrics then sched:step(c.metrics[e]) end
        worst = math.max(worst, close(lrs(opt), c.lrs[e], ("lr at epoch %d"):format(e - 1)))
        if c.momenta then
          local m = {}
          for i, g in ipairs(opt.param_groups) do m[i] = g.momentum end
          close(m, c.momenta[e], ("momentum at epoch %d"):format(e - 1))
        end
        if not c.metrics then sched:step() end
      end
      if c.last then close(sched:get_last_lr(), c.last, "get_last_lr") end
      assert.equals(#c.lrs, sched.last_epoch)
    end)
  end
  it("(largest relative error over every schedule, for the record)", function()
    print(("\n  schedules: largest relative error %.3g"):format(worst))
  end)

  it("state_dict and load_state_dict resume a schedule", function()
    for _, name in ipairs{"cosine", "onecycle_three", "plateau_max_abs", "multistep"} do
      local c = fx.sched[name]
      local opt = two_groups()
      local sched = S[c.kind](opt, c.opts)
      local function step(s, e)
        if c.metrics then s:step(c.metrics[e]) else s:step() end
      end
      for e = 1, 40 do step(sched, e) end
      local sd = sched:state_dict()
      local opt2 = two_groups()
      for i, g in ipairs(opt2.param_groups) do g.lr = opt.param_groups[i].lr end
      local sched2 = S[c.kind](opt2, c.opts)
      sched2:load_state_dict(sd)
      for i, g in ipairs(opt2.param_groups) do
        g.lr = opt.param_groups[i].lr
        g.momentum = opt.param_groups[i].momentum
      end
      for e = 41, 100 do
        step(sched, e)
        step(sched2, e)
        assert.same(lrs(opt), lrs(opt2), name .. " at epoch " .. e)
      end
      assert.same(sched:get_last_lr(), sched2:get_last_lr())
      assert.same(sched:state_dict(), sched2:state_dict())
    end
  end)

  it("OneCycleLR cycles Adam's beta1", function()
    local opt = lunet.optim.Adam(lunet.Linear(2, 2))
    local sched = S.OneCycleLR(opt, {max_lr = 0.1, total_steps = 10})
    assert.equals(0.95, opt.betas[1])
    for _ = 1, 3 do sched:step() end
    assert.is_true(opt.betas[1] < 0.95)
    assert.equals(0.999, opt.betas[2])
  end)

  it("refuses bad options and a closed optimizer", function()
    local opt = two_groups()
    for _, c in ipairs{
      {"StepLR", {}, "lunet.optim.lr_scheduler.StepLR: option 'step_size' is required"},
      {"StepLR", {step_size = 0}, "option 'step_size' must be in 1.."},
      {"StepLR", {step_size = 2, gamma = -1}, "StepLR: invalid gamma -1"},
      {"StepLR", {step_size = 2, gama = 1}, "StepLR: unknown option 'gama'"},
      {"MultiStepLR", {milestones = {1, "x"}}, "milestones[2] must be an integer"},
      {"ExponentialLR", {}, "option 'gamma' is required"},
      {"CosineAnnealingLR", {T_max = 0}, "option 'T_max' must be in 1.."},
      {"CosineAnnealingLR", {T_max = 5, eta_min = -1}, "invalid eta_min -1"},
      {"LinearLR", {start_factor = 0}, "start_factor 0 must be in (0, 1]"},
      {"LinearLR", {end_factor = 2}, "end_factor 2 must be in [0, 1]"},
      {"OneCycleLR", {total_steps = 10}, "option 'max_lr' is required"},
      {"OneCycleLR", {max_lr = 1}, "give total_steps, or epochs and steps_per_epoch"},
      {"OneCycleLR", {max_lr = {1, 2, 3}, total_steps = 5}, "one value per parameter group (2)"},
      {"OneCycleLR", {max_lr = 1, total_steps = 5, pct_start = 2}, "pct_start 2 must be in"},
      {"OneCycleLR", {max_lr = 1, total_steps = 5, anneal_strategy = "x"},
       "option 'anneal_strategy' must be"},
      {"ReduceLROnPlateau", {factor = 1}, "factor 1 must be in [0, 1)"},
      {"ReduceLROnPlateau", {mode = "up"}, "option 'mode' must be"},
      {"ReduceLROnPlateau", {min_lr = -1}, "invalid min_lr -1"},
    } do
      fails(c[3], S[c[1]], opt, c[2])
    end
    fails("optimizer expected", S.StepLR, lunet.Linear(2, 2), {step_size = 1})
    fails("Adagrad has no momentum to cycle", S.OneCycleLR,
      lunet.optim.Adagrad(lunet.Linear(2, 2)), {max_lr = 1, total_steps = 5})
    local one = S.OneCycleLR(opt, {max_lr = 1, total_steps = 2})
    one:step()
    one:step()
    fails("OneCycleLR:step: tried to step 3 times", one.step, one)
    local sched = S.StepLR(opt, {step_size = 2})
    fails("StepLR:step: unexpected argument #2", sched.step, sched, 3)
    fails("number expected, got no value", function()
      local p = S.ReduceLROnPlateau(opt)
      p:step()
    end)
    fails("StepLR: no field 'nope'", function() return sched.nope end)
    getmetatable(opt).__close(opt)
    fails("StepLR:step: optimizer has been closed", sched.step, sched)
    fails("StepLR:get_last_lr: optimizer has been closed", sched.get_last_lr, sched)
    fails("lunet.optim.lr_scheduler.StepLR: optimizer has been closed", S.StepLR, opt,
      {step_size = 1})
  end)

  it("load_state_dict checks before it changes anything", function()
    local opt = two_groups()
    local sched = S.StepLR(opt, {step_size = 3})
    local sd = sched:state_dict()
    sd.base_lrs = {1}
    fails("StepLR:load_state_dict: 'base_lrs' has 1 values", sched.load_state_dict, sched, sd)
    sd = sched:state_dict()
    sd.gamma = -2
    fails("StepLR:load_state_dict: invalid gamma -2", sched.load_state_dict, sched, sd)
    sd.gamma, sd.extra = 0.1, 1
    fails("StepLR:load_state_dict: unknown option 'extra'", sched.load_state_dict, sched, sd)
    assert.equals(0.1, sched:state_dict().gamma)
  end)
end)
