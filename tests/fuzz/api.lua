-- tests/fuzz/api.lua: the Lua API of lunet as it is at run time, for the
-- fuzzer and the API walk (tests/spec/api_walk_spec.lua). Nothing here lists
-- a function by name: functions are found by walking the lunet table,
-- classes by the registry's metatables that have a __methods table (see
-- l_newclass in bindings/lunet.c), so new API is covered without edits.
-- docs/api.md, when given, tells what each parameter probably is (from its
-- name in the signature) and which option names and string values an entry
-- mentions; an undocumented function still gets called, with anything.
local M = {}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end
M.sorted_keys = sorted_keys

-- Every function reachable from the lunet table, as {path = "lunet.data.idx",
-- fn = f}, sorted by path (pairs order differs from run to run). A table
-- with a __call (lunet.Board, which also holds Board.open) is one too.
function M.functions(lunet)
  local out, seen = {}, {}
  local function walk(t, prefix)
    if seen[t] then return end
    seen[t] = true
    for _, k in ipairs(sorted_keys(t)) do
      local v = rawget(t, k)
      local path = prefix .. "." .. tostring(k)
      if type(v) == "function" then
        out[#out + 1] = {path = path, fn = v, short = tostring(k)}
      elseif type(v) == "table" and type(k) == "string" then
        local mt = getmetatable(v)
        if type(mt) == "table" and type(rawget(mt, "__call")) == "function" then
          out[#out + 1] = {path = path, fn = v, short = tostring(k)}
        end
        walk(v, path)
      end
    end
  end
  walk(lunet, "lunet")
  return out
end

-- Every class: {name = "lunet.Tensor", short = "Tensor", methods = {names},
-- metamethods = {names}}, from the registry, sorted by name.
function M.classes()
  local reg, out = debug.getregistry(), {}
  for _, name in ipairs(sorted_keys(reg)) do
    local mt = reg[name]
    if type(name) == "string" and name:match("^lunet%.") and type(mt) == "table"
        and type(rawget(mt, "__methods")) == "table" then
      local methods, metas = {}, {}
      for _, k in ipairs(sorted_keys(mt.__methods)) do
        if type(mt.__methods[k]) == "function" then methods[#methods + 1] = k end
      end
      for _, k in ipairs(sorted_keys(mt)) do
        if type(k) == "string" and k:match("^__") and type(mt[k]) == "function" then
          metas[#metas + 1] = k
        end
      end
      out[#out + 1] = {name = name, short = name:match("([%w_]+)$"), methods = methods,
                       metamethods = metas, mt = mt}
    end
  end
  return out
end

-- docs/api.md: each entry is "### `signature`" then a paragraph. Returns
-- {functions = {["lunet.zeros"] = entry}, methods = {view = {entry...}}},
-- an entry being {params = {{name =, optional =, rest =}}, list = the name of
-- a parameter that may also be given as a list, words = {...},
-- strings = {...}}: the identifiers in backquotes and the double-quoted
-- strings of its paragraph (option names and their values, mostly).
local skip_words = {["true"] = 1, ["false"] = 1, ["nil"] = 1, lunet = 1}

local function parse_entry(sig, text)
  local e = {params = {}, words = {}, strings = {}, sig = sig}
  -- f(a, {opt = v}) and f{m1, m2, ...}; a list written out, {m1, m2, ...},
  -- is one parameter named by its first element, with more of the same
  local args = sig:match("%((.*)%)") or sig:match("^[%w_.:]+(%b{})$")
  if args then
    local pat = "{%s*([%a_][%w_]*)%s*,[^}=]*%.%.%.%s*}"
    e.list = args:match(pat)
    args = args:gsub(pat, "%1, ...")
    local optional = false
    for piece in args:gmatch("[^,]+") do
      local at, name = piece:match("()([%a_][%w_]*)")
      if piece:find("{") then name = "opts" end  -- an options table written out
      local bracket = piece:find("%[")
      if bracket and (not at or bracket < at) then optional = true end
      if piece:find("%.%.%.") then
        if #e.params > 0 then e.params[#e.params].rest = true end
      elseif name then
        e.params[#e.params + 1] = {name = name, optional = optional}
      end
      if bracket then optional = true end
    end
  end
  local seen = {}
  for span in text:gmatch("`([^`]+)`") do
    for w in span:gmatch("[%a_][%w_]*") do
      if not seen[w] and not skip_words[w] then
        seen[w] = true
        e.words[#e.words + 1] = w
      end
    end
  end
  for s in text:gmatch('"([^"\n]*)"') do
    if not seen["\0" .. s] then
      seen["\0" .. s] = true
      e.strings[#e.strings + 1] = s
    end
  end
  return e
end

function M.docs(path)
  local docs = {functions = {}, methods = {}, words = {}, strings = {}}
  local f = path and io.open(path, "r")
  if not f then return docs end
  local text = f:read("a")
  f:close()
  local allw, alls, entries, cur = {}, {}, {}, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local sig = line:match("^### `([^`]+)`")
    if sig then
      cur = {sig = sig, body = {}}
      entries[#entries + 1] = cur
    elseif line:match("^#") then
      cur = nil
    elseif cur then
      cur.body[#cur.body + 1] = line
    end
  end
  for _, en in ipairs(entries) do
    local sig = en.sig
    local e = parse_entry(sig, table.concat(en.body, "\n"))
    local fname = sig:match("^(lunet[%w_.]*)")
    local recv, meth = sig:match("^([%a_]+):([%w_]+)")
    if recv then
      docs.methods[meth] = docs.methods[meth] or {}
      table.insert(docs.methods[meth], e)
    elseif fname then
      docs.functions[fname] = e
    end
    for _, w in ipairs(e.words) do allw[w] = true end
    for _, s in ipairs(e.strings) do alls[s] = true end
  end
  docs.words, docs.strings = sorted_keys(allw), sorted_keys(alls)
  return docs
end

return M
