-- board:watch: the tags follow the module tree, snapshots come every
-- `every` backwards with the values the net's fields hold, BatchNorm's
-- statistics and the gradient norms are the numbers computed here by hand,
-- a step that logs nothing allocates nothing, and closed or collected
-- networks and boards are safe.
local lunet = require "lunet"
local G = dofile("tests/spec/gradcheck.lua")
local errors_with = G.errors_with

local function tmp(ext)
  local base = os.tmpname()
  os.remove(base)
  return base .. ext
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

-- The scalar series of a board: {tag = {{step, value}, ...}} (from its CSV).
local function series(board)
  local path = tmp(".csv")
  board:save_csv(path)
  local out = {}
  for line in slurp(path):gmatch("[^\n]+") do
    local tag, step, value = line:match("^(.*),([^,]+),([^,]+)$")
    if tag and tag ~= "tag" then
      tag = tag:match('^"(.*)"$') or tag
      out[tag] = out[tag] or {}
      table.insert(out[tag], {tonumber(step), tonumber(value)})
    end
  end
  return out
end

local function close_to(want, got, tol)
  assert(math.abs(want - got) <= tol * math.max(1, math.abs(want)),
         string.format("expected %.9g, got %.9g", want, got))
end

-- A module written in Lua with a parameter of its own and a named child.
local Gate = lunet.Module("Gate")
function Gate:__init(n)
  self:parameter("weight", lunet.randn(n) * 0.5 + 1)
  self:child("proj", lunet.Linear(n, n))
end
function Gate:forward(x)
  self.h = self.proj:forward(x):clone()
  return self.h * self.weight
end
function Gate:backward(x, dy)
  local g = dy * self.h
  for i = 1, g:size(1) do self.grad.weight:add_(g:select(1, i)) end
  return self.proj:backward(x, dy * self.weight)
end

local function tree_net()
  return lunet.Sequential{
    lunet.Linear(3, 4), lunet.BatchNorm(4), lunet.ReLU(),
    lunet.Sequential{lunet.Linear(4, 3), lunet.Tanh()},
    Gate(3), lunet.Linear(3, 1),
  }
end

-- One training step: forward, MSE, backward (the watch's step), SGD.
local function trainer(net, n, lr)
  local x, y = lunet.randn(n, 3), nil
  local loss = lunet.MSELoss()
  local opt = lunet.optim.SGD(net, {lr = lr or 0.01})
  return function(after_backward)
    net:zero_grad()
    local out = net:forward(x)
    y = y or lunet.randn(out:size())
    loss:forward(out, y)
    net:backward(x, loss:backward(out, y), {input_grad = false})
    if after_backward then after_backward() end
    opt:step()
  end, x
end

describe("board:watch", function()
  it("names its tags from the module tree, as state_dict's keys with the kind", function()
    lunet.manual_seed(1)
    local net, b = tree_net(), lunet.Board()
    local w = b:watch(net, {run = "r"})
    local step = trainer(net, 8)
    step()
    local t = b:tags()
    local hist = {
      "r/output/1.Linear", "r/output/2.BatchNorm", "r/output/3.ReLU", "r/output/4.1.Linear",
      "r/output/4.2.Tanh", "r/output/5.Gate", "r/output/5.proj.Linear", "r/output/6.Linear",
    }
    local params = {"1.Linear.weight", "1.Linear.bias", "2.BatchNorm.weight", "2.BatchNorm.bias",
                    "4.1.Linear.weight", "4.1.Linear.bias", "5.Gate.weight",
                    "5.proj.Linear.weight", "5.proj.Linear.bias", "6.Linear.weight",
                    "6.Linear.bias"}
    for _, p in ipairs(params) do hist[#hist + 1] = "r/grad/" .. p end
    for _, p in ipairs(params) do hist[#hist + 1] = "r/param/" .. p end
    assert.same(hist, t.histograms)
    assert.same({"gradnorm/r/1.Linear", "gradnorm/r/2.BatchNorm", "gradnorm/r/4.1.Linear",
                 "gradnorm/r/5.Gate", "gradnorm/r/5.proj.Linear", "gradnorm/r/6.Linear",
                 "bn_mean/r/2.BatchNorm", "bn_std/r/2.BatchNorm"}, t.scalars)
    -- The parameter tags are the state_dict keys with each module's kind.
    local _, names = net:named_parameters()
    for i, p in ipairs(params) do params[i] = p:gsub("%.?[^.]+(%.[^.]+)$", "%1") end
    assert.same(names, params)
    assert.equals(1, w.logged)
  end)

  it("names the run after the module by default, and a lone layer by its kind", function()
    local b = lunet.Board()
    local lin = lunet.Linear(2, 2)
    local w = b:watch(lin, {what = "param"})
    assert.equals("Linear", w.run)
    lin:forward(lunet.randn(3, 2))
    lin:backward(lunet.randn(3, 2), lunet.randn(3, 2))
    assert.same({"Linear/param/Linear.weight", "Linear/param/Linear.bias"}, b:tags().histograms)
    assert.same({}, b:tags().scalars)
  end)

  it("logs only what is asked: output (with BatchNorm's statistics), grad (with the norms)",
     function()
    local function tags_of(what)
      lunet.manual_seed(2)
      local net, b = lunet.Sequential{lunet.Linear(3, 2), lunet.BatchNorm(2)}, lunet.Board()
      b:watch(net, {run = "n", what = what})
      local step = trainer(net, 6)
      step()
      return b:tags()
    end
    local t = tags_of("output")
    assert.same({"n/output/1.Linear", "n/output/2.BatchNorm"}, t.histograms)
    assert.same({"bn_mean/n/2.BatchNorm", "bn_std/n/2.BatchNorm"}, t.scalars)
    t = tags_of({"grad"})
    assert.same({"n/grad/1.Linear.weight", "n/grad/1.Linear.bias", "n/grad/2.BatchNorm.weight",
                 "n/grad/2.BatchNorm.bias"}, t.histograms)
    assert.same({"gradnorm/n/1.Linear", "gradnorm/n/2.BatchNorm"}, t.scalars)
    t = tags_of({"param", "output"})
    assert.equals(6, #t.histograms)
    assert.equals(2, #t.scalars)
  end)

  it("takes a snapshot on backward 0, E, 2E, ...: ceil(K/E) after K steps", function()
    for _, c in ipairs({{k = 10, e = 3}, {k = 9, e = 3}, {k = 1, e = 5}, {k = 7, e = 1}}) do
      lunet.manual_seed(3)
      local net, b = lunet.Sequential{lunet.Linear(3, 2), lunet.ReLU()}, lunet.Board()
      local w = b:watch(net, {every = c.e, run = "c"})
      local step = trainer(net, 5)
      for _ = 1, c.k do step() end
      local want = math.ceil(c.k / c.e)
      assert.equals(c.k, w.steps)
      assert.equals(want, w.logged)
      local s = series(b)["gradnorm/c/1.Linear"]
      assert.equals(want, #s)
      for i, p in ipairs(s) do assert.equals((i - 1) * c.e, p[1]) end
    end
  end)

  it("logs the tensors the net's fields hold: the same board as logging them by hand",
     function()
    lunet.manual_seed(4)
    local net = lunet.Sequential{lunet.Linear(3, 5), lunet.Tanh(), lunet.Linear(5, 1)}
    local auto, hand = lunet.Board(), lunet.Board()
    auto:watch(net, {every = 2, run = "w"})
    local step = trainer(net, 16, 0.1)
    for s = 0, 6 do
      step(function()
        if s % 2 ~= 0 then return end
        local m = net.modules
        hand:histogram("w/output/1.Linear", s, m[1].output)
        hand:histogram("w/output/2.Tanh", s, m[2].output)
        hand:histogram("w/output/3.Linear", s, m[3].output)
        for _, k in ipairs({"grad", "param"}) do
          for _, i in ipairs({1, 3}) do
            local src = k == "grad" and m[i].grad or m[i]
            hand:histogram("w/" .. k .. "/" .. i .. ".Linear.weight", s, src.weight)
            hand:histogram("w/" .. k .. "/" .. i .. ".Linear.bias", s, src.bias)
          end
        end
        for _, i in ipairs({1, 3}) do
          hand:scalar("gradnorm/w/" .. i .. ".Linear", s, lunet.clip_grad_norm(m[i], math.huge))
        end
      end)
    end
    hand:axis("gradnorm/w", {ylabel = "gradient L2 norm"})
    assert.same(hand:tags(), auto:tags())
    for _, opts in ipairs({{}, {time = true}, {step = 2}}) do
      local a, h = tmp(".png"), tmp(".png")
      auto:save_png(a, opts)
      hand:save_png(h, opts)
      assert.is_true(slurp(a) == slurp(h), "the PNGs differ")
    end
  end)

  it("logs each layer's gradient norm as clip_grad_norm computes it", function()
    lunet.manual_seed(5)
    local net, b = tree_net(), lunet.Board()
    b:watch(net, {every = 2, run = "g"})
    local step = trainer(net, 8)
    local want = {}
    for s = 0, 4 do
      step(function()
        if s % 2 ~= 0 then return end
        local layers = {["1.Linear"] = net.modules[1], ["4.1.Linear"] = net.modules[4].modules[1],
                        ["5.proj.Linear"] = net.modules[5].proj, ["6.Linear"] = net.modules[6]}
        for name, m in pairs(layers) do
          want[name] = want[name] or {}
          table.insert(want[name], lunet.clip_grad_norm(m, math.huge))
        end
        -- A module's own parameters only: Gate's weight, not its child's.
        want["5.Gate"] = want["5.Gate"] or {}
        table.insert(want["5.Gate"], net.modules[5].grad.weight:norm())
      end)
    end
    local got = series(b)
    for name, vals in pairs(want) do
      local s = got["gradnorm/g/" .. name]
      assert.equals(#vals, #s)
      for i, v in ipairs(vals) do close_to(v, s[i][2], 1e-6) end
    end
  end)

  it("logs every BatchNorm's batch statistics against its running ones", function()
    lunet.manual_seed(6)
    local bn = lunet.BatchNorm(3, {momentum = 0.3, eps = 1e-2})
    local net, b = lunet.Sequential{lunet.Linear(3, 3), bn}, lunet.Board()
    b:watch(net, {run = "bn", every = 1})
    local step = trainer(net, 10, 0.05)
    local shift, ratio = {}, {}
    for _ = 1, 4 do
      step(function()
        local x = net.modules[1].output
        local mean, var = x:mean(1), x:var(1, {unbiased = false})
        local s, r = 0, 0
        for c = 1, 3 do
          local rstd = math.sqrt(bn.running_var[c] + bn.eps)
          s = s + math.abs(mean[c] - bn.running_mean[c]) / rstd
          r = r + math.sqrt(var[c] + bn.eps) / rstd
        end
        shift[#shift + 1], ratio[#ratio + 1] = s / 3, r / 3
      end)
    end
    -- In evaluation mode BatchNorm normalizes with its running statistics:
    -- there are no batch statistics to compare, and no point.
    net:evaluate()
    step()
    local got = series(b)
    assert.equals(4, #got["bn_mean/bn/2.BatchNorm"])
    for i = 1, 4 do
      close_to(shift[i], got["bn_mean/bn/2.BatchNorm"][i][2], 1e-5)
      close_to(ratio[i], got["bn_std/bn/2.BatchNorm"][i][2], 1e-5)
    end
    assert.is_true(shift[1] > 0.1 and ratio[1] ~= 1)
    assert.equals(5, #got["gradnorm/bn/1.Linear"])
  end)

  it("gives two runs on one board their own tags, and refuses one run twice", function()
    local b = lunet.Board()
    local n1, n2 = lunet.Sequential{lunet.Linear(3, 1)}, lunet.Sequential{lunet.Linear(3, 1)}
    b:watch(n1, {run = "a"})
    errors_with(function() b:watch(n2, {run = "a"}) end,
      "Board:watch: run 'a' is already watched on this board")
    errors_with(function() lunet.Board():watch(n1) end,
      "Board:watch: this Sequential is already watched")
    b:watch(n2, {run = "b"})
    for _, n in ipairs({n1, n2}) do trainer(n, 4)() end
    assert.same({"gradnorm/a/1.Linear", "gradnorm/b/1.Linear"}, b:tags().scalars)
  end)

  it("stops on unwatch and on the handle's close", function()
    local b, net = lunet.Board(), lunet.Sequential{lunet.Linear(3, 1)}
    local w = b:watch(net, {every = 1})
    local step = trainer(net, 4)
    step()
    assert.is_false(lunet.Board():unwatch(net))  -- not that board's
    assert.is_true(b:unwatch(net))
    assert.is_false(b:unwatch(net))
    assert.is_false(w.live)
    step()
    assert.equals(1, w.steps)
    assert.equals(1, #series(b)["gradnorm/Sequential/1.Linear"])
    local w2 = b:watch(net, {every = 1, run = "again"})
    step()
    w2:close()
    w2:close()
    step()
    assert.equals(1, w2.steps)
    assert.matches("ended", tostring(w2))
    do
      local w3 <close> = b:watch(net, {every = 1, run = "scoped"})
      step()
      assert.is_true(w3.live)
    end
    step()
    assert.equals(1, #series(b)["gradnorm/scoped/1.Linear"])
  end)

  it("keeps going when its handle is dropped", function()
    local b, net = lunet.Board(), lunet.Sequential{lunet.Linear(3, 1)}
    b:watch(net, {every = 1})
    collectgarbage("collect")
    local step = trainer(net, 4)
    step()
    step()
    assert.equals(2, #series(b)["gradnorm/Sequential/1.Linear"])
  end)

  it("keeps neither a closed nor a collected network alive, and survives both", function()
    local b = lunet.Board()
    local net = lunet.Sequential{lunet.Linear(3, 1)}
    local w = b:watch(net, {every = 1, run = "x"})
    trainer(net, 4)()
    getmetatable(net).__close(net)
    assert.is_false(w.live)
    errors_with(function() net:backward(lunet.randn(4, 3), lunet.randn(4, 1)) end,
      "module has been closed")
    errors_with(function() b:watch(net) end,
      "Board:watch: Sequential module has been closed")
    assert.is_false(b:unwatch(net))
    local again = lunet.Sequential{lunet.Linear(3, 1)}
    assert.has_no.errors(function() b:watch(again, {run = "x"}) end)  -- the run is free again
    -- A collected network: the watch holds it weakly.
    local weak = setmetatable({}, {__mode = "v"})
    do
      local n2 = lunet.Sequential{lunet.Linear(3, 1)}
      weak[1] = n2
      local w2 = b:watch(n2, {every = 1, run = "y"})
      weak[2] = w2
      trainer(n2, 4)()
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.is_nil(weak[1])
    assert.is_nil(weak[2])
    assert.equals(1, #series(b)["gradnorm/y/1.Linear"])
    assert.has_no.errors(function() b:watch(lunet.Sequential{lunet.Linear(3, 1)}, {run = "y"}) end)
  end)

  it("ends when its board is closed, and keeps a board it writes to", function()
    local net = lunet.Sequential{lunet.Linear(3, 1)}
    local weak = setmetatable({}, {__mode = "v"})
    do weak[1] = lunet.Board() ; weak[1]:watch(net, {every = 1}) end
    collectgarbage("collect")
    assert.is_not_nil(weak[1])  -- the watch holds it
    local b = weak[1]
    local step = trainer(net, 4)
    step()
    b:close()
    assert.has_no.errors(step)
    assert.is_false(lunet.Board():unwatch(net))
    errors_with(function() b:watch(lunet.Linear(1, 1)) end, "board has been closed")
    -- The module is free for another board.
    local b2 = lunet.Board()
    local w = b2:watch(net, {every = 1})
    step()
    assert.equals(1, w.logged)
  end)

  it("survives a backward that closes the board and the network it runs in", function()
    local Closer = lunet.Module("Closer")
    local victims = {}
    function Closer:__init() self:child("fc", lunet.Linear(2, 2)) end
    function Closer:forward(x) return self.fc:forward(x) end
    function Closer:backward(x, dy)
      local dx = self.fc:backward(x, dy)
      for _, v in ipairs(victims) do getmetatable(v).__close(v) end
      return dx
    end
    local b, c = lunet.Board(), Closer()
    local w = b:watch(c, {every = 1})
    victims = {b, c}
    c:forward(lunet.randn(3, 2))
    assert.has_no.errors(function() c:backward(lunet.randn(3, 2), lunet.randn(3, 2)) end)
    assert.is_false(w.live)
    assert.equals(0, w.logged)
    -- A failed backward is no step.
    local net = lunet.Sequential{lunet.Linear(2, 2)}
    local w2 = lunet.Board():watch(net, {every = 1})
    net:forward(lunet.randn(3, 2))
    assert.has_error(function() net:backward(lunet.randn(3, 2), lunet.randn(4, 2)) end)
    assert.equals(0, w2.steps)
  end)

  it("follows a module written in Lua watched on its own", function()
    lunet.manual_seed(7)
    local g, b = Gate(2), lunet.Board()
    b:watch(g, {every = 1, run = "gate"})
    g:forward(lunet.randn(3, 2))
    g:backward(lunet.randn(3, 2), lunet.randn(3, 2))
    assert.same({"gate/output/Gate", "gate/output/proj.Linear", "gate/grad/Gate.weight",
                 "gate/grad/proj.Linear.weight", "gate/grad/proj.Linear.bias",
                 "gate/param/Gate.weight", "gate/param/proj.Linear.weight",
                 "gate/param/proj.Linear.bias"}, b:tags().histograms)
  end)

  it("allocates nothing on a step that logs nothing", function()
    lunet.manual_seed(8)
    local function growth(watch)
      local net = lunet.Sequential{lunet.Linear(3, 8), lunet.BatchNorm(8), lunet.ReLU(),
                                   lunet.Linear(8, 1)}
      local b = lunet.Board()
      if watch then b:watch(net, {every = 1000000}) end
      local step = trainer(net, 16)
      for _ = 1, 3 do step() end  -- buffers sized; the watch's step 0 logged
      collectgarbage("collect")
      collectgarbage("stop")
      local before = collectgarbage("count")
      for _ = 1, 200 do step() end
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      return grown
    end
    local plain, watched = growth(false), growth(true)
    assert.equals(plain, watched)
  end)

  it("refuses bad options, naming Board:watch", function()
    local b, net = lunet.Board(), lunet.Linear(1, 1)
    errors_with(function() b:watch(net, {every = 0}) end,
      "Board:watch: option 'every' must be a positive integer, got 0")
    errors_with(function() b:watch(net, {every = -3}) end, "Board:watch: option 'every'")
    errors_with(function() b:watch(net, {every = 1.5}) end,
      "Board:watch: option 'every' must be a positive integer, got 1.5")
    errors_with(function() b:watch(net, {every = "x"}) end,
      "Board:watch: option 'every' must be a number, got string")
    errors_with(function() b:watch(net, {what = "weights"}) end,
      "Board:watch: option 'what' must be \"output\", \"grad\", \"param\" or a list of them, "
      .. "got 'weights'")
    errors_with(function() b:watch(net, {what = {"output", 3}}) end,
      "Board:watch: option 'what' must be \"output\", \"grad\", \"param\" or a list of them, "
      .. "got number")
    errors_with(function() b:watch(net, {what = {}}) end,
      "Board:watch: option 'what' must name at least one of")
    errors_with(function() b:watch(net, {run = "a/b"}) end,
      "Board:watch: option 'run' must be a name of 1 to 63 bytes without '/'")
    errors_with(function() b:watch(net, {run = ""}) end, "Board:watch: option 'run'")
    errors_with(function() b:watch(net, {run = 5}) end,
      "Board:watch: option 'run' must be a string")
    errors_with(function() b:watch(net, {evry = 5}) end, "Board:watch: unknown option 'evry'")
    errors_with(function() b:watch(net, {}, 1) end, "Board:watch: unexpected argument #4")
    errors_with(function() b:watch(lunet.zeros(1)) end,
      "bad argument #1 to 'watch' (module expected, got lunet.Tensor)")
    errors_with(function() b.watch(net) end, "call it as board:watch(...)")
    errors_with(function() b:unwatch(5) end, "bad argument #1 to 'unwatch' (module expected")
    errors_with(function() b:unwatch(net, 1) end, "Board:unwatch: unexpected argument #3")
    local w = b:watch(net)
    errors_with(function() return w.nope end, "Watch: no field 'nope'")
    errors_with(function() w:close(1) end, "Watch:close: unexpected argument #2")
    assert.equals(100, w.every)
  end)
end)
