-- tests/fuzz/fuzz.lua: a seeded random fuzzer of lunet's whole Lua API.
--
-- usage: lunet fuzz.lua SEED CALLS REPRO [DOCS]
-- Runs in the current directory (tests/fuzz/fuzz.bash gives it a fresh temporary
-- one: the files it writes stay there). The functions and methods are found
-- at run time (api.lua); a pool of objects of every type is built by calling
-- the constructors, and grows with whatever calls return; arguments are pool
-- objects, plausible values for the parameter's documented name, and hostile
-- values (lib.lua). Every call runs under pcall. A finding is
--   - an error that is not a string naming the function called (after
--     Lua's "chunk:line: " prefix): "<who>: ..." or Lua's own "bad argument
--     #k to '<name>'" / "calling '<name>' on bad self", never '?';
--   - a broken invariant of a returned value (lib.lua, F.check), or a file
--     lunet must not touch that changed;
--   - a crash, a sanitizer report or a hang, seen by fuzz.bash.
-- Each statement is written to REPRO (flushed) before it runs, as Lua that
-- replays it: `lunet REPRO` repeats the run up to a crash, and the same
-- SEED and CALLS always give the same statements. Ends with the line
-- "seed S: N calls, E errors, K findings"; exits 1 when K > 0.
local lunet = require "lunet"
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local F = dofile(here .. "/lib.lua")
local A = dofile(here .. "/api.lua")

local seed, ncalls, repro_path, docs_path = tonumber(arg[1]), tonumber(arg[2]), arg[3], arg[4]
assert(seed and ncalls and repro_path, "usage: lunet fuzz.lua SEED CALLS REPRO [DOCS]")
math.randomseed(seed)
local rnd = math.random
local function pick(list) return list[rnd(#list)] end
local function chance(p) return rnd() < p end

local FUNCS, CLASSES, DOCS = A.functions(lunet), A.classes(), A.docs(docs_path)
-- Calls that legitimately never return: a window's wait until the user
-- closes it (called only on a closed window, see method_call).
local BLOCKING = {["lunet.Viewer:wait"] = true}
-- Functions whose arguments are bounded: each OpenBLAS thread reserves
-- 128 MB, so set_num_threads(200) under fuzz.bash's memory limit leaves the
-- threads retrying their allocation forever. Only 1 and 2, or values lunet
-- refuses, are given.
-- Functions too slow to call often: the whole installed Fashion-MNIST
-- (70,000 images, a second or more) is read only on this share of the
-- times the function is picked, and never by the set-up.
local HEAVY = {["lunet.data.fashion_mnist"] = 0.05}
local BOUNDED = {["lunet.set_num_threads"] = {"1", "2", "0", "-1", "257", "2^31", "0/0", "1.5",
  '"2"', "nil", "{}"}}

-- The pool: P[i] and what we know of it.
local POOL_MAX = 48
local P, info = {}, {}
local env = setmetatable({P = P, F = F, lunet = lunet}, {__index = _G})
local out = assert(io.open(repro_path, "w"))
out:write(("-- lunet API fuzzer, seed %d: replay with `lunet this-file` in an empty "
  .. "directory\nlocal F = dofile(%q)\nP = {}\n"):format(seed, here .. "/lib.lua"))

local nstmt, nerrors, findings = 0, 0, {}
local last_stmt

-- Runs one statement of the reproducer (and writes it there first).
-- FUZZ_SLOW=seconds prints the statements slower than that, to stderr.
local slow = tonumber(os.getenv("FUZZ_SLOW") or "")
local function exec(src)
  nstmt = nstmt + 1
  last_stmt = src
  out:write(src, "\n")
  out:flush()
  local chunk = assert(load(src, "=fuzz", "t", env))
  local t0 = slow and lunet.clock()
  chunk()
  if slow and lunet.clock() - t0 > slow then
    io.stderr:write(("slow (%.2f s) statement %d: %s\n"):format(lunet.clock() - t0, nstmt, src))
  end
end

-- A finding, unless known.lua knows it (then KNOWN, which fails nothing).
local KNOWN = dofile(here .. "/known.lua")
local nknown = 0
local function finding(kind, msg)
  local text = kind .. ": " .. msg
  for _, k in ipairs(KNOWN) do
    if text:match(k[1]) then
      nknown = nknown + 1
      io.stderr:write("KNOWN ", k[2], "\n")
      return
    end
  end
  findings[#findings + 1] = ("%s at statement %d\n  statement: %s"):format(text, nstmt,
    last_stmt)
  io.stderr:write("FINDING seed ", seed, ": ", findings[#findings], "\n")
end

-- Literals -------------------------------------------------------------
local NUMBERS = {"0", "1", "2", "3", "-1", "0.5", "-0.0", "0/0", "1/0", "-1/0", "1e308", "-1e308",
  "2^31", "2^32", "2^53", "2^63", "math.maxinteger", "math.mininteger", "1e-310", "2^24 + 1",
  "65536", "1e9", "-2", "7", "0.1", "1e-8", "0.999", "100"}
local SMALL = {"1", "2", "3", "4", "5", "1", "2", "3"}
local function str(s) return ("%q"):format(s) end
-- (long strings as expressions, so that a statement stays readable)
local PATHS = {"f.lnet", "f.png", "f.csv", "d/f.lnet", "d/g.png", "nodir/f.lnet", "", ".", "d",
  "zero", "empty", "junk", "model.lnet", "a.idx", "a.idx.gz", "short.idx", "f.lnet.tmp",
  "f.png.tmp", "sp ace.csv"}
local LONG_PATH = '("x"):rep(300)'
local STRINGS = {"", "x", "a/b", "cost/a", "cost/b", "BN/L1", "/", "a/", "/b", "\0", "%s%n",
  "relu", "tanh", "fan_in", "all", "histograms", "scalars", "nan"}
local LONG_STRING = '("y"):rep(5000)'


local gen  -- gen(category, depth) -> expression

-- The pool objects the call being generated uses (its receiver, its
-- arguments so far): the favourite victims of its evil tables.
local CUR = {}

local function pool_of(pred)
  local c = {}
  for i = 1, POOL_MAX do
    if P[i] ~= nil and pred(info[i]) then c[#c + 1] = i end
  end
  if #c == 0 then return nil end
  local e = ("P[%d]"):format(pick(c))
  CUR[#CUR + 1] = e
  return e
end
local function pool_class(class)
  return pool_of(function(m) return m and m.class == class end)
end
local function pool_any() return pool_of(function() return true end) end

local function victim()
  if #CUR > 0 and chance(0.7) then return pick(CUR) end
  return pool_any() or "nil"
end

local function hostile(depth)
  local r = rnd(18)
  if r == 1 or r >= 17 then return ("F.evil(%s, %d)"):format(victim(), rnd(F.NHARMS)) end
  if r == 2 then
    return ("F.evil(%s, %d, %s, %s, %d)"):format(victim(), rnd(F.NHARMS), pick(SMALL),
      pick(NUMBERS), rnd(4))
  end
  if r == 3 then return ("F.liar(%s)"):format(pick{"2^62", "-1", "0.5", "0/0", "'x'", "nil"}) end
  if r == 4 then return ("F.deep(%s)"):format(pick{"5", "64", "200", "100000"}) end
  if r == 5 then return "F.cycle()" end
  if r == 6 then return ("F.deep_seq(%s)"):format(pick{"3", "63", "64", "65", "300"}) end
  if r == 7 then return ("F.close(%s)"):format(victim()) end
  if r == 8 then
    local f = FUNCS[rnd(#FUNCS)]
    if f.path:match("%.[A-Z][%w_]*$") or f.path:match("zeros$") or f.path:match("randn$") then
      return ("F.collected(function() return %s(%s) end)"):format(f.path, pick(SMALL))
    end
    return "F.collected(function() return lunet.zeros(2, 3) end)"
  end
  if r == 9 then return pick{"io.stdout", "coroutine.create(print)", "print", "function() end",
    "setmetatable({}, {__index = function() error(F.RAISED_VALUE) end})", "true", "false",
    "nil"} end
  if r == 10 then return pick(NUMBERS) end
  if r == 11 then return chance(0.1) and LONG_STRING or str(pick(STRINGS)) end
  if r == 12 and depth < 2 then
    local items = {}
    for _ = 1, rnd(0, 4) do items[#items + 1] = gen("any", depth + 1) end
    return "{" .. table.concat(items, ", ") .. "}"
  end
  if r == 13 then return "{{1, 2}, {3}}" end
  return pool_any() or pick(NUMBERS)
end

-- Categories of a parameter, from its documented name.
local CATEGORY = {
  t = "tensor", x = "tensor", y = "tensor", src = "tensor", tensor = "tensor",
  output = "tensor", labels = "tensor", target = "tensor", dy = "tensor", input = "tensor",
  net = "module", module = "module", m = "module", block = "module", m1 = "module",
  m2 = "module", board = "board", opts = "options", path = "path", dir = "path",
  tag = "tag", group = "string", nonlinearity = "string", table = "nested",
  d1 = "int", n = "int", i = "int", dim = "int", start = "int", len = "int",
  batch_size = "int", seed = "int", ["in"] = "int", out = "int",
  groups = "int", channels = "int", shape = "int",
  v = "number", value = "number", a = "number", b = "number", mean = "number",
  std = "number", gain = "number", p = "number", step = "number", param = "number",
  mode = "bool", op = "string", root = "int",
}

local function options(depth, entry, who)
  if depth >= 2 then return "{}" end
  local keys = {}
  if entry then for _, w in ipairs(entry.words) do keys[#keys + 1] = w end end
  if #keys == 0 then keys = DOCS.words end
  if #keys == 0 then keys = {"x"} end
  local items = {}
  for _ = 1, rnd(0, 3) do
    local k = chance(0.05) and "bogus" or pick(keys)
    local v
    local r = rnd(8)
    -- a run log's directory is made where it says: never "/" or "/b"
    if k == "logdir" then v = str(pick(PATHS))
    elseif TAME then v = pick{"0.1", "1", "2", "true", "false", "0.5", "3"}
    elseif r <= 3 then v = pick(NUMBERS)
    elseif r == 4 then v = pick{"true", "false"}
    elseif r == 5 then
      v = str(entry and #entry.strings > 0 and pick(entry.strings) or pick(STRINGS))
    elseif r == 6 then v = pick{"{0.9, 0.999}", "{0.5}", "{1, 2, 3}", "{}"}
    else v = hostile(depth + 1) end
    items[#items + 1] = ("[%s] = %s"):format(str(k), v)
  end
  if not TAME and chance(0.1) then return ("F.evil(%s, %d)"):format(victim(), rnd(F.NHARMS)) end
  return "{" .. table.concat(items, ", ") .. "}"
end

local function nested(depth)
  if depth >= 3 then return pick(NUMBERS) end
  local items, n = {}, rnd(1, 3)
  local inner = chance(0.5)
  for _ = 1, n do items[#items + 1] = inner and nested(depth + 1) or pick(SMALL) end
  return "{" .. table.concat(items, ", ") .. "}"
end

-- TAME: while the set-up builds the pool, plausible values only.
local TAME = false

function gen(cat, depth, entry)
  depth = depth or 0
  if not TAME and chance(0.15) then return hostile(depth) end
  if cat == "tensor" then return pool_class("lunet.Tensor") or hostile(depth) end
  if cat == "module" then return pool_class("lunet.Module") or hostile(depth) end
  if cat == "board" then return pool_class("lunet.Board") or hostile(depth) end
  if cat == "options" then return options(depth, entry) end
  if cat == "path" then
    if not TAME and chance(0.05) then return LONG_PATH end
    return str(TAME and chance(0.6) and pick{"a.idx", "a.idx.gz", "model.lnet"} or pick(PATHS))
  end
  if cat == "tag" then return str(pick{"cost/a", "cost/b", "BN/L1", "x/y", "a"}) end
  if cat == "string" then
    return str(entry and #entry.strings > 0 and chance(0.7) and pick(entry.strings)
      or pick(DOCS.strings) or "x")
  end
  if cat == "nested" then return nested(0) end
  if cat == "int" then return chance(0.85) and pick(SMALL) or pick(NUMBERS) end
  if cat == "number" then return chance(0.5) and pick(SMALL) or pick(NUMBERS) end
  if cat == "bool" then return pick{"true", "false"} end
  -- anything
  local r = rnd(6)
  if r == 1 then return pool_class("lunet.Tensor") or pick(SMALL) end
  if r == 2 then return pick(SMALL) end
  if r == 3 then return options(depth, entry) end
  return hostile(depth)
end

-- The arguments for a documented entry (or random ones).
local function args_for(entry)
  local a = {}
  if entry and chance(0.9) then
    for _, p in ipairs(entry.params) do
      if p.optional and chance(0.4) then break end
      a[#a + 1] = gen(CATEGORY[p.name] or "any", 0, entry)
      if p.rest then
        for _ = 1, rnd(0, 3) do a[#a + 1] = gen(CATEGORY[p.name] or "any", 0, entry) end
      end
    end
    if not TAME and chance(0.05) then a[#a + 1] = gen("any", 0, entry) end  -- one too many
  else
    for _ = 1, rnd(0, 4) do a[#a + 1] = gen("any", 0, entry) end
  end
  return table.concat(a, ", ")
end

-- Errors ---------------------------------------------------------------
local function escape(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

-- Whether err names one of whos ("lunet.zeros", "Tensor:view") or, in Lua's
-- own argument errors, one of shorts ("zeros", "view").
-- Lua's own messages about a value a hostile metamethod gave (luaL_len on
-- a __len returning 0.5), and running out of memory, may come from anywhere.
local LUA_OWN = {"^not enough memory", "^object length is not an integer"}

local function names_caller(err, whos, shorts)
  if err == F.RAISED_VALUE then return true end
  if type(err) ~= "string" then return false end
  if err:find(F.RAISED, 1, true) then return true end
  local msg = err:gsub("^[^\n:]*:%d+: ", "")
  for _, p in ipairs(LUA_OWN) do if msg:match(p) then return true end end
  for _, w in ipairs(whos) do
    if w:sub(1, 2) == "*:" then
      local kind, rest = msg:match("^([%a_][%w_]*)(:.*)$")
      if kind and rest:sub(1, #w) == w:sub(2) .. ":" then return true end
    end
    local c = msg:sub(#w + 1, #w + 1)
    -- "Type:method: ...", "Tensor +: ...", "Type.field: ..." (a field access)
    if msg:sub(1, #w) == w and (c == ":" or c == " " or c == ".") then return true end
  end
  -- "Sigmoid:get: ..." for Module:get called on a receiver of unknown kind
  local kind_method = msg:match("^[%a_][%w_]*:([%a_][%w_]*): ")
  for _, s in ipairs(shorts) do if kind_method == s then return true end end
  local name = msg:match("^bad argument #%d+ to '([^']*)'") or
               msg:match("^calling '([^']*)' on bad self")
  if name then
    for _, s in ipairs(shorts) do if name == s then return true end end
  end
  return false
end

-- Pool -----------------------------------------------------------------
local function kind_of(v, class)
  local ok, s = pcall(tostring, v)
  local k = ok and type(s) == "string" and s:match("^([%a_][%w_]*)") or nil
  if k == "lunet" or not k then k = class:match("([%w_]+)$") end
  return k
end

local function slot_for(class)
  for i = 1, POOL_MAX do if P[i] == nil then return i end end
  -- replace an object of the kind the pool has most of, so that every
  -- kind keeps a place (kinds: "Tensor", "Linear", "SGD", ...)
  local count, most = {}, nil
  for i = 1, POOL_MAX do local k = info[i].kind; count[k] = (count[k] or 0) + 1 end
  for i = 1, POOL_MAX do
    if not most or count[info[i].kind] > count[info[most].kind] then most = i end
  end
  for _ = 1, 16 do
    local i = rnd(POOL_MAX)
    if info[i].kind == info[most].kind then return i end
  end
  return most
end

-- Checks and keeps what the last call returned.
local function take_results()
  local R = F.R
  for k = 2, R.n do
    local v = R[k]
    local class = F.class(v)
    local e = F.check(v)
    if e then finding("broken invariant", e) end
    -- a big tensor is checked but not kept: a pool of them would only
    -- measure the machine's memory (and stop the sanitized run at its limit)
    local big = class == "lunet.Tensor" and v:numel() > (1 << 22)
    if (class or type(v) == "function") and not big then
      local c = class or "function"
      local i = slot_for(c)
      exec(("P[%d] = F.R[%d]"):format(i, k))
      info[i] = {class = c, kind = class and kind_of(v, class) or "function"}
    end
  end
end

local function call(src, whos, shorts)
  CUR = {}
  exec(("F.run(function() %s end)"):format(src))
  local R = F.R
  if R[1] then
    take_results()
  else
    nerrors = nerrors + 1
    local err = R[2]
    if whos and not names_caller(err, whos, shorts) then
      finding("error not naming " .. table.concat(whos, " or "),
        type(err) == "string" and err or ("a " .. type(err) .. " value"))
    end
    -- learn option names from the message, as a user would
    if type(err) == "string" then
      local list = err:match("unknown option '[^']*' %(expected ([^)]*)%)")
      if list and whos then
        local e = DOCS.functions[whos[1]] or {words = {}, strings = {}, params = {}}
        DOCS.functions[whos[1]] = e
        for w in list:gmatch("[%a_][%w_]*") do
          if w ~= "or" then e.words[#e.words + 1] = w end
        end
      end
    end
  end
end

-- Calls ----------------------------------------------------------------
local function function_call(f)
  CUR = {}
  f = f or pick(FUNCS)
  if HEAVY[f.path] and (TAME or not chance(HEAVY[f.path])) then return end
  local entry = DOCS.functions[f.path]
  local args = BOUNDED[f.path] and pick(BOUNDED[f.path]) or args_for(entry)
  call(("return %s(%s)"):format(f.path, args), {f.path}, {f.short})
end

local function receiver_of(class)
  local r = pool_class(class.name)
  if r and chance(0.9) then return r, true end
  return gen("any"), false
end

local function method_call()
  CUR = {}
  local class = pick(CLASSES)
  if #class.methods == 0 then return end
  local name = pick(class.methods)
  local recv, own = receiver_of(class)
  local i = tonumber(recv:match("^P%[(%d+)%]$"))
  if BLOCKING[class.name .. ":" .. name] then
    -- only on an object that says it would not block
    local ok, open = pcall(function() return P[i]:is_open() end)
    if not (own and i and ok and open == false) then return end
  end
  local docs = DOCS.methods[name]
  local args = args_for(docs and pick(docs))
  local whos = {class.short .. ":" .. name}
  if i and info[i] then table.insert(whos, 1, info[i].kind .. ":" .. name) end
  -- a closed receiver's kind is unknown here, but its message names it
  -- ("MSELoss:forward: loss has been closed"): any Kind:method will do
  whos[#whos + 1] = "*:" .. name
  if own then
    call(("return %s:%s(%s)"):format(recv, name, args), whos, {name})
  else
    call(("local %s = F.method(%q, %q) return %s(%s%s)"):format(name, class.name, name, name,
      recv, args ~= "" and ", " .. args or ""), whos, {name})
  end
end

local BINARY = {__add = "+", __sub = "-", __mul = "*", __div = "/"}

local function meta_call()
  CUR = {}
  local class = pick(CLASSES)
  local mm = pick(class.metamethods)
  local a = pool_class(class.name)
  if not a then return end
  local i = tonumber(a:match("(%d+)"))
  local kind = info[i] and info[i].kind or class.short
  local short = mm:sub(3)
  local whos = {kind, class.short}
  if BINARY[mm] then
    local b = chance(0.5) and (pool_class(class.name) or pick(NUMBERS)) or gen("any")
    if chance(0.5) then a, b = b, a end
    whos = {class.short .. " " .. BINARY[mm]}
    call(("return %s %s %s"):format(a, BINARY[mm], b), whos, {short})
  elseif mm == "__unm" then
    call(("return -%s"):format(a), {class.short .. " -"}, {short})
  elseif mm == "__len" then
    call(("return #%s"):format(a), whos, {short})
  elseif mm == "__call" then
    local docs = DOCS.methods.forward
    call(("local obj = %s return obj(%s)"):format(a, args_for(docs and pick(docs))), whos,
      {"obj"})
  elseif mm == "__index" then
    local keys = {}
    for _, w in ipairs(DOCS.words) do keys[#keys + 1] = w end
    for _, m in ipairs(class.methods) do keys[#keys + 1] = m end
    local k = chance(0.9) and str(pick(keys)) or pick{"1", "0/0", "true", "{}", '"wieght"'}
    call(("return %s[%s]"):format(a, k), whos, {short})
  elseif mm == "__newindex" then
    local k = pick(DOCS.words) or "x"
    call(("%s[%q] = %s"):format(a, k, chance(0.4) and hostile(0) or gen("number")), whos,
      {short})
  elseif mm == "__tostring" then
    call(("return tostring(%s)"):format(a), {}, {})
  elseif mm == "__close" and chance(0.3) then
    call(("getmetatable(%s).__close(%s)"):format(a, a), whos, {"__close"})
  elseif mm == "__gc" and chance(0.05) then
    -- as a user could: __gc run by hand, then the object used again
    call(("getmetatable(%s).__gc(%s)"):format(a, a), whos, {"__gc"})
  end
end

local function pool_function_call()
  local f = pool_of(function(m) return m and m.class == "function" end)
  if not f then return end
  call(("local f = %s return f(%s)"):format(f, args_for(nil)), nil, nil)
end

local function housekeeping()
  local r = rnd(4)
  if r == 1 then exec("collectgarbage()")
  elseif r == 2 then
    local i = rnd(POOL_MAX)
    if P[i] ~= nil then exec(("P[%d] = nil"):format(i)); info[i] = nil end
  elseif r == 3 then exec(("F.close(%s)"):format(victim()))
  else exec(("lunet.manual_seed(%d)"):format(rnd(1000))) end
end

-- Files the fuzzer watches: a victim that symlinked temporary names point
-- to, which no lunet call may change.
local VICTIM = "fuzz-victim: must never change\n"
local function setup()
  exec("os.execute('mkdir -p d')")
  exec(("do local f = io.open('victim.txt', 'w') f:write(%q) f:close() end"):format(VICTIM))
  exec("os.execute('ln -sf victim.txt f.lnet.tmp; ln -sf victim.txt f.png.tmp; "
    .. "ln -sf victim.txt f.csv.tmp; ln -sf /dev/zero zero; : > empty')")
  exec("do local f = io.open('junk', 'wb') f:write(('\\1\\2\\255'):rep(100)) f:close() end")
  -- a 2x3 IDX file of bytes, a truncated one and a gzip copy
  exec("do local f = io.open('a.idx', 'wb') f:write('\\0\\0\\8\\2\\0\\0\\0\\2\\0\\0\\0\\3', "
    .. "'\\1\\2\\3\\4\\5\\6') f:close() end")
  exec("do local f = io.open('short.idx', 'wb') f:write('\\0\\0\\8\\2\\0\\0\\0\\9') f:close() end")
  exec("os.execute('gzip -c a.idx > a.idx.gz')")
  exec(("lunet.manual_seed(%d)"):format(seed))
  exec("pcall(lunet.save, 'model.lnet', lunet.Linear(2, 3))")
  TAME = true
  -- the pool: every function called a few times with plausible arguments
  -- (twice: lunet.data.batches sorts before the tensors it needs)
  for pass = 1, 2 do
    for _, f in ipairs(FUNCS) do
      local made = 0
      for _ = 1, 12 do
        function_call(f)
        if F.R[1] then made = made + 1 end
        if made == pass then break end
      end
    end
  end
  TAME = false
end

local function victim_intact()
  local f = io.open("victim.txt", "rb")
  local s = f and f:read("a")
  if f then f:close() end
  if s ~= VICTIM then
    finding("file damaged", "victim.txt (the target of symlinks named f.lnet.tmp, f.png.tmp, "
      .. "f.csv.tmp) now holds " .. (s and ("%d bytes"):format(#s) or "nothing"))
    return false
  end
  return true
end

setup()
if os.getenv("FUZZ_POOL") then  -- what the set-up made, to see every type is there
  local kinds = {}
  for i = 1, POOL_MAX do if info[i] then kinds[#kinds + 1] = info[i].kind end end
  table.sort(kinds)
  io.stderr:write("pool: ", table.concat(kinds, " "), "\n")
end
local ok_victim = true
for n = 1, ncalls do
  local r = rnd(100)
  if r <= 30 then function_call()
  elseif r <= 72 then method_call()
  elseif r <= 90 then meta_call()
  elseif r <= 93 then pool_function_call()
  else housekeeping() end
  if ok_victim then ok_victim = victim_intact() end
end
if ok_victim then victim_intact() end
-- every object left is closed and collected at exit; that must be clean too
exec("for i = 1, #P do P[i] = nil end collectgarbage() collectgarbage()")
out:close()
print(("seed %d: %d calls, %d statements, %d errors, %d findings, %d known"):format(seed,
  ncalls, nstmt, nerrors, #findings, nknown))
os.exit(#findings == 0 and 0 or 1)
