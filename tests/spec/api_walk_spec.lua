-- api_walk_spec.lua: every function and method of the Lua API, enumerated at
-- run time as the fuzzer does (tests/fuzz/api.lua), refuses an extra
-- argument, an unknown option and an unknown field in the one message
-- format of bindings/lunet.h:
--   "<who>: unexpected argument #k (expected at most n, got m)"  (l_checknargs)
--   "<who>: unknown option 'x' (expected a, b or c)"             (l_checkoptions)
--   "<Type>: no field 'x' ..."                                   (l_nofield)
-- For each one, a valid call is searched for first, by rules and a fixed
-- seed: receivers of several shapes and kinds (a module whose forward has
-- run, so that backward has an input; a module written in Lua while its
-- __init runs, where parameter/buffer/child are allowed), arguments chosen
-- by their parameter names in docs/api.md (every entry of a method's name
-- is tried, as t:add and m:add share it) from pools derived from the
-- receiver (a 0/1 mask and a tensor of 1-based indices of its shape, its
-- own state_dict). The call is then repeated with one argument more, and
-- with an unknown option where the entry takes options; every object it
-- returned, and the receiver, must refuse an unknown field.
-- Variadic entries (a "..." in the signature: lunet.zeros(d1, ...),
-- lunet.Sequential{m1, m2, ...}) have no "too many" and are exempt from the
-- extra argument; they are listed by the docs, not here.
-- The Viewer (lunet.viewer.show and its methods) is walked in a child
-- `lunet` run with SDL_VIDEODRIVER=dummy (Lua cannot set the environment):
-- the window code runs, nothing appears on screen.
-- KNOWN lists what does not refuse yet, reported as pending (skipped);
-- remove a name when it passes.
local WINDOW_CHILD = describe == nil  -- run by `lunet`, see above
local lunet = require "lunet"
local A = dofile("tests/fuzz/api.lua")

local KNOWN = {
}

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p '" .. tmp .. "'"))
local function path(name) return tmp .. "/" .. name end
do
  local f = assert(io.open(path("a.idx"), "wb"))
  f:write("\0\0\8\2\0\0\0\2\0\0\0\3", "\1\2\3\4\5\6")
  f:close()
  -- a float32 .npy of shape (2,): the header padded to 64 bytes in all
  local header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
  header = header .. (" "):rep(64 - 10 - #header - 1) .. "\n"
  f = assert(io.open(path("a.npy"), "wb"))
  f:write("\147NUMPY\1\0", string.pack("<I2", #header), header, string.pack("<ff", 1, 2))
  f:close()
  lunet.save(path("model.lnet"), lunet.Linear(3, 3))
  lunet.Board{logdir = path("run")}:close()
end

-- A module written in Lua: Walk(f) runs f(self) in its __init.
local Walk = lunet.Module("Walk")
function Walk:__init(f) if f then f(self) end end
function Walk:forward(x) return x end
function Walk:backward(_, dy) return dy end

local function tensors() return {lunet.randn(2, 3), lunet.randn(3), lunet.tensor{1, 2},
  lunet.randn(2, 3, 2, 2), lunet.randn(2, 2), lunet.randn(3, 3), lunet.randn(2, 2, 2),
  lunet.tensor{0.5}} end
local function modules() return {lunet.Linear(3, 3), lunet.ReLU(), lunet.BatchNorm(3),
  lunet.Sequential{lunet.Linear(3, 3)}, Walk(), lunet.Residual(lunet.Linear(3, 3)),
  lunet.Concat(2, {lunet.Linear(3, 3), lunet.ReLU()}), lunet.LayerNorm(3), lunet.GroupNorm(1, 3),
  lunet.InstanceNorm(2, {track_running_stats = true}), lunet.BatchNorm(3, {momentum = false})}
end
-- a module's last forward: {x = its input, dy = a gradient of its output}
local FED = setmetatable({}, {__mode = "k"})
local function fed(m)
  local x = lunet.randn(2, 3)
  local ok, y = pcall(m.forward, m, x)
  if ok then FED[m] = {x = x, dy = lunet.ones_like(y)} end
  return m
end
local function is_tensor(v) return getmetatable(v) == debug.getregistry()["lunet.Tensor"] end

-- The pools, given the receiver r (nil for a function).
local VALUES = {
  tensor = function(r)
    local out = tensors()
    if is_tensor(r) then out[#out + 1] = r end
    if FED[r] then out[#out + 1] = FED[r].x; out[#out + 1] = FED[r].dy end
    return out
  end,
  labels = function() return {lunet.tensor{1, 2}, lunet.tensor{3, 1}} end,
  mask = function(r)
    local out = {lunet.randn(2, 3):gt(0), lunet.tensor{1, 0}}
    if is_tensor(r) then out[#out + 1] = r:gt(0) end
    return out
  end,
  index = function(r)
    local out = {lunet.tensor{1}, lunet.tensor{1, 2}, lunet.tensor{1, 1}}
    if is_tensor(r) then out[#out + 1] = lunet.ones_like(r) end
    return out
  end,
  tensor_list = function(r)
    local t = is_tensor(r) and r or lunet.randn(2, 3)
    return {{t, t}, {lunet.randn(2, 3), lunet.randn(2, 3)}}
  end,
  sizes = function() return {{2, 3}, {3}} end,
  fn = function() return {function() end} end,
  name = function() return {"w_walk"} end,
  module = function() return modules() end,
  board = function() return {lunet.Board()} end,
  int = function() return {1, 2, 3} end,
  number = function() return {0.5, 1, 2} end,
  path = function() return {path("model.lnet"), path("a.idx"), path("out.png"), path("o.csv"),
    path("a.npy")} end,
  dir = function() return {path("run")} end,
  tag = function() return {"cost/a", "x/y"} end,
  nested = function() return {{{1, 2}, {3, 4}}, {1, 2}} end,
  bool = function() return {true, false} end,
  rng = function() return {lunet.get_rng_state()} end,
  optim = function() return {lunet.optim.SGD(lunet.Linear(3, 3), {lr = 0.1, momentum = 0.9})} end,
  -- the receiver's own, else one that fits an optimizer over a Linear(3, 3)
  state_dict = function(r)
    local ok, sd = pcall(function() return r:state_dict() end)
    return {ok and sd or {state = {}, param_groups = {{lr = 0.1, params = {1, 2}}}}}
  end,
}
local function cats(s, list)
  local out = {}
  for _, k in ipairs(list) do out[k] = s end
  return out
end
local CATEGORY = {}
for _, group in ipairs{
  cats({"tensor"}, {"t", "x", "y", "tensor", "input", "output", "dy", "u"}),
  cats({"tensor", "number"}, {"a", "b", "v", "src"}),
  cats({"tensor", "labels"}, {"target", "labels"}),
  cats({"number", "mask"}, {"p"}),
  cats({"mask"}, {"mask", "cond"}),
  cats({"module"}, {"net", "module", "m1", "block", "shortcut"}),
  cats({"optim"}, {"opt", "optimizer"}),
  cats({"int"}, {"d1", "n", "i", "k", "dim", "start", "len", "batch_size", "seed", "in", "out",
                 "low", "high"}),
  cats({"number"}, {"value", "mean", "std", "gain", "step", "param", "rtol", "atol"}),
  {index = {"index"}, tensors = {"tensor_list"}, sizes = {"sizes"}, fn = {"fn"},
   name = {"name"}, board = {"board"}, path = {"path"}, dir = {"dir"}, tag = {"tag"},
   table = {"nested"}, mode = {"bool"}, keepdim = {"bool"}, state = {"rng"},
   state_dict = {"state_dict"},
   sd = {"state_dict"}},
} do
  for k, v in pairs(group) do CATEGORY[k] = v end
end

-- receivers of each class; the Module's last one stands for a module
-- written in Lua whose __init is running (see call_on)
local BUILDING = {}
local RECEIVERS = {
  ["lunet.Tensor"] = tensors,
  ["lunet.Module"] = function()
    local out = modules()
    for _, m in ipairs(out) do fed(m) end
    out[#out + 1] = BUILDING
    return out
  end,
  ["lunet.Loss"] = function() return {lunet.CrossEntropyLoss(), lunet.MSELoss()} end,
  ["lunet.Optim"] = function()
    return {lunet.optim.SGD(lunet.Linear(3, 3), {lr = 0.1}), lunet.optim.Adam(lunet.Linear(3, 3))}
  end,
  ["lunet.LRScheduler"] = function()
    local S = lunet.optim.lr_scheduler
    return {S.StepLR(lunet.optim.SGD(lunet.Linear(3, 3), {lr = 0.1}), {step_size = 2}),
            S.ReduceLROnPlateau(lunet.optim.Adam(lunet.Linear(3, 3)))}
  end,
  ["lunet.Board"] = function() return {lunet.Board()} end,
  ["lunet.Watch"] = function() return {lunet.Board():watch(lunet.Linear(3, 3))} end,
  ["lunet.data.Bytes"] = function() return {lunet.data.idx(path("a.idx"), {bytes = true})} end,
  -- closed at once: one window at a time, and win:wait() on an open one
  -- would wait for a user
  ["lunet.Viewer"] = function()
    local win = lunet.viewer.show(lunet.Board())
    win:close()
    return {win}
  end,
}

-- r:name(...) as a function, so that Lua's own messages name it; on
-- BUILDING, the call runs inside the __init of a new Walk.
local function call_on(r, name)
  if r ~= BUILDING then
    return load(("local r = ... return function(...) return r:%s(...) end"):format(name),
      "=walk")(r)
  end
  return function(...)
    local args, out = table.pack(...), nil
    Walk(function(self) out = table.pack(self[name](self, table.unpack(args, 1, args.n))) end)
    return table.unpack(out, 1, out.n)
  end
end

-- A valid argument list for one of entries (nil when none is found), and
-- what the call returned, by a seeded search. The first tries give every
-- optional parameter (so that options are tested), the later ones leave
-- some out.
local function find_call(fn, entries, recv)
  math.randomseed(7)
  if #entries == 0 then entries = {{params = {}, strings = {}}} end
  for _, entry in ipairs(entries) do
    for try = 1, 200 do
      local args, opts_at = {}, nil
      local skip = false
      for _, p in ipairs(entry.params) do
        -- later tries leave optional ones out: this one only (so that an
        -- options table after it is still given: fashion_mnist(opts) for
        -- fashion_mnist([dir] [, opts])), then the rest too
        if p.optional and try > (p.name == "opts" and 150 or 100) and math.random() < 0.5 then
          if try > 150 and math.random() < 0.5 then break end
          skip = true
        end
        local choices = {}
        if skip then skip = false  -- nothing given
        -- {lr = 0.1}: SGD needs its lr (torch.optim 1.13 has no default);
        -- the others: the option each lr scheduler requires
        elseif p.name == "opts" then
          opts_at = #args + 1
          choices = {{}, {lr = 0.1}, {step_size = 2}, {milestones = {2}}, {gamma = 0.9},
                     {T_max = 10}, {max_lr = 0.1, total_steps = 10}}
        elseif CATEGORY[p.name] then
          for _, cat in ipairs(CATEGORY[p.name]) do
            for _, v in ipairs(VALUES[cat](recv)) do choices[#choices + 1] = v end
          end
        else
          for _, s in ipairs(entry.strings) do choices[#choices + 1] = s end
          for _, v in ipairs{1, 0.5, "x", lunet.randn(2, 3)} do choices[#choices + 1] = v end
        end
        local first = #args + 1
        if #choices > 0 then args[first] = choices[math.random(#choices)] end
        if p.rest and #choices > 0 then
          for _ = 1, math.random(0, 2) do args[#args + 1] = choices[math.random(#choices)] end
        end
        -- f(m1, m2) as f{m1, m2}
        if entry.list == p.name and #choices > 0 and math.random() < 0.5 then
          local list = {table.unpack(args, first)}
          for k = #args, first, -1 do args[k] = nil end
          args[first] = list
        end
      end
      local n = #args
      local res = table.pack(pcall(fn, table.unpack(args, 1, n)))
      if res[1] then return args, n, opts_at, entry, res end
    end
  end
  return nil
end

local function kind_of(x)
  local s = tostring(x)
  local k = s:match("^([%a_][%w_]*)")
  return k ~= "lunet" and k or nil
end

local function check(err, whos, pattern)
  if type(err) ~= "string" then return false end
  local msg = err:gsub("^[^\n:]*:%d+: ", "")
  for _, w in ipairs(whos) do
    if msg:sub(1, #w + 2) == w .. ": " and msg:sub(#w + 3):match(pattern) then return true end
  end
  return false
end

-- Every lunet object among vs (userdata whose metatable is a class), and
-- those reachable through the fields its message lists ("(fields: lr,
-- param_groups or steps)": the groups of an optimizer), refuses an unknown
-- field.
local CLASS_OF = {}
for _, class in ipairs(A.classes()) do CLASS_OF[class.mt] = class end
local SEEN = {}  -- class name -> kinds whose unknown field was checked
local function check_fields(vs, who, depth)
  depth = depth or 0
  for _, v in ipairs(vs) do
    local class = type(v) == "userdata" and CLASS_OF[getmetatable(v)]
    if class then
      local ok, err = pcall(function() return v.no_such_field end)
      -- named by its class, its kind, or where it is ("Adam.param_groups[1]")
      local types = {class.short, kind_of(v)}
      local at = kind_of(v) and tostring(err):match(": (" .. kind_of(v) .. "[.[][%w_.%[%]]*): ")
      types[#types + 1] = at
      assert(not ok, ("%s: a %s read an unknown field as %s"):format(who, tostring(v),
        tostring(err)))
      assert(check(err, types, "^no field 'no_such_field'"),
        who .. ": an unknown field of " .. tostring(v) .. " with another message: " .. err)
      SEEN[class.name] = SEEN[class.name] or {}
      SEEN[class.name][types[2] or class.short] = true
      local fields = depth < 2 and err:match("%(fields: ([^)]*)%)$")
      for f in (fields or ""):gsub(" or ", ", "):gmatch("[%w_]+") do
        local got, x = pcall(function() return v[f] end)
        if got then
          check_fields(type(x) == "table" and x or {x}, who .. " ." .. f, depth + 1)
        end
      end
    end
  end
end

-- Closes the windows among vs (one may be open at a time).
local function close_windows(vs)
  for _, v in ipairs(vs) do
    if type(v) == "userdata" and getmetatable(v) == debug.getregistry()["lunet.Viewer"] then
      v:close()
    end
  end
end

local DOCS = A.docs("docs/api.md")
local cases = {}
for _, f in ipairs(A.functions(lunet)) do
  cases[#cases + 1] = {who = f.path, whos = {f.path}, fn = f.fn,
                       entries = {DOCS.functions[f.path]}, window = f.path:find("viewer")}
end
for _, class in ipairs(A.classes()) do
  for _, name in ipairs(class.methods) do
    cases[#cases + 1] = {who = class.short .. ":" .. name, class = class, name = name,
                         make = RECEIVERS[class.name], entries = DOCS.methods[name] or {},
                         window = class.name == "lunet.Viewer"}
  end
end

-- Walks case c: nil when it passes, "pending", reason when it cannot be
-- walked; raises when it fails.
local function walk(c)
  if KNOWN[c.who] then return "pending", KNOWN[c.who] end
  local fn, recv, whos = c.fn, nil, c.whos
  local args, n, opts_at, entry, res
  if c.class then
    if not c.make then return "pending", "no receiver of " .. c.class.name .. " is made" end
    for _, r in ipairs(c.make()) do
      fn = call_on(r, c.name)
      args, n, opts_at, entry, res = find_call(fn, c.entries, r)
      if args then
        recv = r
        break
      end
    end
    if not recv then return "pending", "no valid call found to start from" end
    local kind = recv == BUILDING and "Walk" or kind_of(recv) or c.class.short
    whos = {c.who, kind .. ":" .. c.name}
    if recv ~= BUILDING then check_fields({recv}, c.who) end
  else
    args, n, opts_at, entry, res = find_call(fn, c.entries)
    if not args then return "pending", "no valid call found to start from" end
  end
  local results = {table.unpack(res, 2, res.n)}
  close_windows(results)
  check_fields(results, c.who)
  -- one argument too many, after every documented parameter (those the
  -- call left out given as nil); a variadic function has no "too many"
  if not (entry.sig and entry.sig:find("...", 1, true)) then
    local extra, m = {table.unpack(args, 1, n)}, math.max(n, #entry.params)
    extra[m + 1] = "extra"
    local ok, err = pcall(fn, table.unpack(extra, 1, m + 1))
    assert(not ok, c.who .. " accepted an extra argument")
    assert(check(err, whos, "^unexpected argument #%d+ %(expected at most %d+, got %d+%)$"),
      c.who .. " refused an extra argument with another message: " .. tostring(err))
  end
  if opts_at then
    local bad = {table.unpack(args, 1, n)}
    bad[opts_at] = {no_such_option = 1}
    local ok2, err2 = pcall(fn, table.unpack(bad, 1, math.max(n, opts_at)))
    assert(not ok2, c.who .. " accepted an unknown option")
    assert(check(err2, whos, "^unknown option 'no_such_option' %(expected .+%)$"),
      c.who .. " refused an unknown option with another message: " .. tostring(err2))
  end
end

if WINDOW_CHILD then
  -- one line a window case, "walk\t<who>\t<ok|pending|fail>\t<message>"
  for _, c in ipairs(cases) do
    if c.window then
      local ok, status, why = pcall(walk, c)
      local msg = tostring(ok and (why or "") or status):gsub("[\t\n]", " ")
      print(("walk\t%s\t%s\t%s"):format(c.who, not ok and "fail" or status or "ok", msg))
    end
  end
  local classes = {}
  for name in pairs(SEEN) do classes[#classes + 1] = name end
  print("seen\t" .. table.concat(classes, " "))
  os.execute("rm -rf '" .. tmp .. "'")
  return
end

teardown(function() os.execute("rm -rf '" .. tmp .. "'") end)

-- The window cases' results, from one child run: {[who] = {status, msg}}.
local window_results
local function window(who)
  if not window_results then
    window_results = {}
    local exe = os.getenv("LUNET")
    if exe then
      local p = assert(io.popen(("SDL_VIDEODRIVER=dummy '%s' tests/spec/api_walk_spec.lua 2>&1")
        :format(exe)))
      local out = p:read("a")
      p:close()
      for w, status, msg in out:gmatch("walk\t([^\t\n]*)\t([^\t\n]*)\t([^\n]*)") do
        window_results[w] = {status, msg}
      end
      for name in (out:match("seen\t([^\n]*)") or ""):gmatch("%S+") do
        SEEN[name] = SEEN[name] or {window = true}
      end
      window_results[""] = out
    end
  end
  if not os.getenv("LUNET") then return "pending", "set LUNET to the lunet executable" end
  local r = window_results[who]
  assert(r, who .. ": the window child gave no result: " .. window_results[""])
  if r[1] == "fail" then error(r[2], 0) end
  if r[1] == "pending" then return "pending", r[2] end
end

describe("the whole API, enumerated at run time,", function()
  for _, c in ipairs(cases) do
    it("refuses an extra argument, an unknown option and field: " .. c.who, function()
      local status, why
      if c.window then status, why = window(c.who) else status, why = walk(c) end
      if status == "pending" then pending(c.who .. ": " .. why) end
    end)
  end
  it("checked an unknown field on an object of every class", function()
    for _, class in ipairs(A.classes()) do
      assert(SEEN[class.name], "no object of " .. class.name .. " was made")
    end
  end)
end)
