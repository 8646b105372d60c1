-- Calls help() on every function of the lunet table and every method of
-- lunet's classes; tests/repl/help.sh fails on any "no help for".
local reg = debug.getregistry()
local names = {}
local function walk(t, prefix, depth)
  for k, v in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      if type(v) == "function" then
        names[#names + 1] = {prefix .. k, v}
      elseif type(v) == "table" and depth > 1 then
        walk(v, prefix .. k .. ".", depth - 1)
      end
    end
  end
end
walk(lunet, "lunet.", 3)
for name, mt in pairs(reg) do
  if type(name) == "string" and name:match("^lunet%.") and type(mt) == "table" then
    local methods = rawget(mt, "__methods") or rawget(mt, "__index")
    if type(methods) == "table" then
      walk(methods, name .. ":", 1)
    end
  end
end
table.sort(names, function(a, b) return a[1] < b[1] end)
for _, e in ipairs(names) do
  print("== " .. e[1])
  help(e[2])
end
