-- exact.lua: a value tree with every tensor replaced by its shape and the
-- bytes of its elements, so that assert.same compares tensors bit for bit
-- (a tensor has no __eq, and its printed form rounds).
local lunet = require "lunet"

local function flat(x, out)
  if type(x) == "table" then
    for _, v in ipairs(x) do flat(v, out) end
  else
    out[#out + 1] = string.pack("<f", x)
  end
  return out
end

local function exact(v, seen)
  seen = seen or {}
  if lunet.is_tensor(v) then
    return {size = v:size(), bits = table.concat(flat(v:totable(), {}))}
  elseif type(v) == "table" then
    if seen[v] then return seen[v] end
    local r = {}
    seen[v] = r
    for k, x in pairs(v) do r[k] = exact(x, seen) end
    return r
  end
  return v
end

return exact
