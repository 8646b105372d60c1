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

local errors_with = dofile("tests/spec/gradcheck.lua").errors_with

-- f(...) raises a message containing pattern.
local function fails(pattern, f, ...)
  local args = table.pack(...)
  errors_with(function() return f(table.unpack(args, 1, args.n)) end, pattern)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
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
