-- tensor_helpers.lua: what the tensor specs share (not a spec itself).
-- require "tensor_helpers"(assert) gives the helpers, using busted's
-- assert, which lives in each spec's environment, not in _G.
return function(assert)
local M = {}

-- fn must raise an error whose message contains every given part (plain text).
function M.fails(fn, ...)
  local ok, err = pcall(fn)
  assert.is_false(ok, "no error raised")
  err = tostring(err)
  for _, part in ipairs{...} do
    assert(err:find(part, 1, true), ("error %q lacks %q"):format(err, part))
  end
end

function M.close(got, want, tol)
  tol = tol or 1e-6
  assert(math.abs(got - want) <= tol * math.max(1, math.abs(want)),
         ("got %.9g, want %.9g"):format(got, want))
end

function M.same(t, want) assert.are.same(want, t:totable()) end

-- A table whose every read closes x first (the attack on argument
-- conversion of issue 9), answering with the values of list.
function M.closing(x, list)
  return setmetatable({}, {
    __len = function() return #list end,
    __index = function(_, k) getmetatable(x).__close(x); return list[k] end,
  })
end

-- A tensor that has been closed (freed), as a <close> variable leaves it.
function M.closed()
  local u
  do
    local a <close> = require("lunet").zeros(2)
    u = a
  end
  return u
end

return M
end
