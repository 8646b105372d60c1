-- seed.lua: the pieces of the founding experiment (the README's opening) that
-- bn_compare.lua, bn_sweep.lua and the tests share: the data, the two
-- networks, a training step, the layer inputs the tutorial plots and the
-- statistics that tell a dead or saturated layer from a healthy one.
local lunet = require "lunet"

local M = {}

local function finite(v) return v == v and v > -math.huge and v < math.huge end
M.finite = finite

M.defaults = {
  activation = "relu", depth = 7, width = 30, n = 500, lo = -7, hi = 10, noise = 8,
  lr = 0.001, steps = 251, seed = 1, eps = 0.001, momentum = 0.5, groups = 5, optim = "sgd",
  cost_every = 5, hist_every = 50, n_test = 200,
}

-- Fills the fields missing from opts with the defaults.
function M.options(opts)
  local o = {}
  for k, v in pairs(M.defaults) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  return o
end

-- y = x^2 - 5 + N(0, noise^2), as a column.
local function curve(x, noise)
  return x:pow(2) - 5 + lunet.randn(#x, 1) * noise
end

-- The tutorial's training set: n points on linspace(lo, hi).
function M.train_data(o)
  local x = lunet.linspace(o.lo, o.hi, o.n):view(o.n, 1)
  return x, curve(x, o.noise)
end

-- A held-out set from the same curve: x uniform on [lo, hi).
function M.test_data(o, n)
  local x = lunet.rand(n, 1) * (o.hi - o.lo) + o.lo
  return x, curve(x, o.noise)
end

local activations = { relu = "ReLU", tanh = "Tanh" }

-- The normalizations the lab compares, by the name --norm takes: the run's
-- short name and the layer put after every hidden Linear. Only BatchNorm
-- also normalizes the network's input, as the tutorial does: LayerNorm and
-- GroupNorm normalize each sample over its features, and the input has one.
M.norms = {
  none = { name = "no BN" },
  batch = { name = "BN", input = true, make = function(o, n)
    return lunet.BatchNorm(n, { eps = o.eps, momentum = o.momentum })
  end },
  layer = { name = "LN", make = function(o, n) return lunet.LayerNorm(n, { eps = o.eps }) end },
  group = { name = "GN",
            make = function(o, n) return lunet.GroupNorm(o.groups, n, { eps = o.eps }) end },
}
M.norm_order = { "none", "batch", "layer", "group" }

-- The optimizers --optim takes, each with the lr of the options.
M.optims = {
  sgd = "SGD", adam = "Adam", adamw = "AdamW", rmsprop = "RMSprop", adagrad = "Adagrad",
}

-- A norm given as a boolean (the first experiments' "BN or not") or a name.
local function norm_kind(norm)
  if norm == true then norm = "batch" elseif norm == false or norm == nil then norm = "none" end
  local k = M.norms[norm]
  if not k then error("unknown normalization '" .. tostring(norm) .. "'", 3) end
  return k
end

-- The tutorial's network: [input BN] -> depth x (Linear [-> norm] -> act) ->
-- Linear(width, 1), weights N(0, 1) and biases 0.1 as its add_layer draws
-- them; norm is a name of M.norms, or true for BatchNorm and false for none.
-- Returns the net and `taps`: for each layer input L1..L(depth+1),
-- the index of the module whose output it is (0: the network input itself).
-- Two calls after the same lunet.manual_seed give identical weights: the
-- normalization layers draw nothing.
function M.build(o, norm)
  local act = lunet[activations[o.activation] or ""]
  if not act then error("unknown activation '" .. tostring(o.activation) .. "'", 2) end
  local kind = norm_kind(norm)
  local mods, taps = {}, {}
  local function add(m) mods[#mods + 1] = m; return #mods end
  -- The tutorial normalizes the input before recording it as layer 1's input.
  taps[1] = kind.input and add(kind.make(o, 1)) or 0
  local fan_in = 1
  for l = 1, o.depth do
    add(lunet.Linear(fan_in, o.width))
    if kind.make then add(kind.make(o, o.width)) end
    taps[l + 1] = add(act())
    fan_in = o.width
  end
  add(lunet.Linear(fan_in, 1))
  local net = lunet.Sequential(mods)
  for _, m in ipairs(net.modules) do
    if M.is_linear(m) then
      lunet.init.normal(m.weight, 0, 1)
      lunet.init.constant(m.bias, 0.1)
    end
  end
  return net, taps
end

function M.is_linear(m) return m:type() == "Linear" end

-- The inputs of every layer after the last forward (views: copy to keep).
function M.layer_inputs(net, taps, x)
  local t = {}
  for i, k in ipairs(taps) do t[i] = k == 0 and x or net.modules[k].output end
  return t
end

-- One run: a network with its loss and optimizer (o.optim, SGD by default).
-- name defaults to the normalization's short name.
function M.new_run(o, norm, name)
  local net, taps = M.build(o, norm)
  local optim = M.optims[o.optim]
  if not optim then error("unknown optimizer '" .. tostring(o.optim) .. "'", 2) end
  return {
    name = name or norm_kind(norm).name, bn = norm_kind(norm) == M.norms.batch,
    net = net, taps = taps,
    loss = lunet.MSELoss(), opt = lunet.optim[optim](net, { lr = o.lr }),
  }
end

-- One gradient-descent step on (x, y). seen(run), when given, is called
-- after the forward pass, while the layer outputs are those of this batch.
-- Returns the cost of the forward (before the update).
function M.step(r, x, y, seen)
  r.net:zero_grad()
  local out = r.net:forward(x)
  local cost = r.loss:forward(out, y)
  if seen then seen(r) end
  r.net:backward(x, r.loss:backward(out, y))
  r.opt:step()
  return cost
end

-- Whether every parameter of the net is finite (a diverged run is not).
function M.params_finite(net)
  for _, p in ipairs((net:parameters())) do
    if not finite(p:sum()) then return false end
  end
  return true
end

-- Cost of the net on (x, y) without training it.
function M.cost(r, x, y)
  return r.loss:forward(r.net:forward(x), y)
end


-- What a layer input looks like, over its N samples and C units:
--   zeros: share of values that are exactly 0
--   dead:  share of units that are 0 for every sample (a dead ReLU unit)
--   sat:   share of values with |x| > 0.97 (tanh's saturated zone)
--   sat_units: share of units with |x| > 0.97 for every sample
--   bad:   share of values that are NaN or infinite
function M.stats(t)
  local rows = t:totable()
  local n, c = #rows, #rows[1]
  local zeros, sat, bad, dead, sat_units = 0, 0, 0, 0, 0
  for j = 1, c do
    local all_zero, all_sat = true, true
    for i = 1, n do
      local v = rows[i][j]
      if v == 0 then zeros = zeros + 1 else all_zero = false end
      if finite(v) then
        if math.abs(v) > 0.97 then sat = sat + 1 else all_sat = false end
      else
        bad = bad + 1
        all_sat = false
      end
    end
    if all_zero then dead = dead + 1 end
    if all_sat then sat_units = sat_units + 1 end
  end
  local nc = n * c
  return { zeros = zeros / nc, dead = dead / c, sat = sat / nc, sat_units = sat_units / c,
           bad = bad / nc }
end

-- The tutorial's experiment. Trains one network per normalization of
-- o.norms (default: none and batch, the tutorial's two) side by side, from
-- the same weights on the same data, on the full batch for o.steps steps.
-- Optional callbacks:
--   on_cost(run, step, cost)       every o.cost_every steps
--   on_hist(run, step, inputs)     every o.hist_every steps (layer inputs)
--   on_step(step)                  after each step
-- Returns {runs = {one per norm}, x, y, test_x, test_y}; each run has costs
-- (a list of {step, cost}) and layer stats (from the last step's forward).
function M.compare(opts, cb)
  local o = M.options(opts)
  cb = cb or {}
  lunet.manual_seed(o.seed)
  local x, y = M.train_data(o)
  local tx, ty = M.test_data(o, o.n_test)
  local runs = {}
  for i, norm in ipairs(o.norms or { "none", "batch" }) do
    lunet.manual_seed(o.seed)
    runs[i] = M.new_run(o, norm)
    runs[i].norm, runs[i].costs = norm, {}
  end
  for step = 0, o.steps - 1 do
    for _, r in ipairs(runs) do
      local seen = function(run)
        if cb.on_hist and step % o.hist_every == 0 then
          cb.on_hist(run, step, M.layer_inputs(run.net, run.taps, x))
        end
        if step == o.steps - 1 then
          run.stats = {}
          for l, t in ipairs(M.layer_inputs(run.net, run.taps, x)) do run.stats[l] = M.stats(t) end
        end
      end
      local cost = M.step(r, x, y, seen)
      if step % o.cost_every == 0 or step == o.steps - 1 then
        r.costs[#r.costs + 1] = { step, cost }
        if cb.on_cost then cb.on_cost(r, step, cost) end
      end
    end
    if cb.on_step then cb.on_step(step) end
  end
  return { runs = runs, x = x, y = y, test_x = tx, test_y = ty, options = o }
end

-- Test costs of a trained run on (tx, ty):
--   eval:  evaluation mode (running statistics), the whole set at once
--   train: training mode (the test batch's own statistics), the whole set
--   train_small: training mode, the set cut into batches of `small` rows
--            (default 10), averaged over rows
-- Training-mode forwards move the running statistics, so they are saved and
-- put back: measuring must not change the model.
function M.test_costs(r, tx, ty, small)
  small = small or 10
  r.net:evaluate()
  local res = { eval = M.cost(r, tx, ty) }
  r.net:train()
  local buffers, saved = r.net:buffers(), {}  -- the running statistics
  for i, b in ipairs(buffers) do saved[i] = b:clone() end
  res.train = M.cost(r, tx, ty)
  local n, sum = #tx, 0
  for start = 1, n, small do
    local len = math.min(small, n - start + 1)
    if len > 1 then  -- one row has no batch variance
      sum = sum + len * M.cost(r, tx:narrow(1, start, len), ty:narrow(1, start, len))
    else
      n = n - 1
    end
  end
  res.train_small, res.small = sum / n, small
  for i, b in ipairs(buffers) do b:copy(saved[i]) end
  return res
end

-- Command-line flags: spec maps a flag name to its default (a number, a
-- string or false for a switch). Returns the options or raises a message.
function M.parse_args(argv, spec)
  local o = {}
  for k, v in pairs(spec) do o[k] = v end
  local i = 1
  while argv[i] do
    local a = argv[i]
    local name = a:match("^%-%-([%w%-]+)$")
    local key = name and name:gsub("%-", "_")
    if not key or spec[key] == nil then error("unknown option '" .. a .. "'", 0) end
    if spec[key] == false then
      o[key] = true
    else
      local v = argv[i + 1]
      if v == nil then error("option '" .. a .. "' needs a value", 0) end
      if type(spec[key]) == "number" then
        v = tonumber(v)
        if not v then error("option '" .. a .. "' needs a number", 0) end
      end
      o[key] = v
      i = i + 1
    end
    i = i + 1
  end
  return o
end

-- A script's command line: argv parsed against spec, then check(flags)
-- when given (it raises a message to reject them). A rejected command line
-- writes "name: message" and the usage to stderr and exits with status 2;
-- --help prints the usage and returns nil. Otherwise returns the flags.
function M.cli(name, usage, argv, spec, check)
  local ok, flags = pcall(function()
    local f = M.parse_args(argv, spec)
    if check then check(f) end
    return f
  end)
  if not ok then
    io.stderr:write(name, ": ", flags, "\n", usage, "\n")
    os.exit(2)
  end
  if flags.help then print(usage) return nil end
  return flags
end

-- A one-line progress bar on stderr, redrawn in place.
function M.progress(done, total, text)
  local width = 30
  local k = math.floor(width * done / total + 0.5)
  io.stderr:write(string.format("\r[%s%s] %3d%% %s", string.rep("#", k),
    string.rep(".", width - k), math.floor(100 * done / total + 0.5), text or ""))
  if done >= total then io.stderr:write("\n") end
  io.stderr:flush()
end

-- "1.23e+04" style for costs, "nan"/"inf" kept readable.
function M.fmt(v)
  if v ~= v then return "nan" end
  if not finite(v) then return v > 0 and "inf" or "-inf" end
  return string.format("%.4g", v)
end

return M
