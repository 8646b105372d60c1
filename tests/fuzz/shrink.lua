-- tests/fuzz/shrink.lua: a small reproducer from a fuzzer's reproducer.
-- usage: lua5.4 shrink.lua REPRO > SMALL
-- Keeps the last statement (the one that crashed or hung), the set-up
-- (the lines before the first call) and, working backwards, what made each
-- pool slot it uses: the assignment P[i] = F.R[k] and the call before it,
-- and the statements that may have closed or freed the object in between
-- (F.close, __close, __gc, an evil table aimed at it), recursively.
-- fuzz.bash checks that the result still fails the same way.
local lines = {}
for l in io.lines(arg[1]) do lines[#lines + 1] = l end
local keep, n = {}, #lines
local function refs(l)
  local r = {}
  for i in l:gmatch("P%[(%d+)%]") do r[#r + 1] = tonumber(i) end
  return r
end
local function is_call(l) return l:match("^F%.run%(") end
local function is_assign(l) return l:match("^P%[%d+%] = ") end

-- the set-up (the lines before the first call) stays as it is
for i = 1, n do
  if is_call(lines[i]) then break end
  keep[i] = true
end
-- what may close or free the object of a slot between its making and its use
local function harms(l, pat)
  return l:find("F%.close%(" .. pat .. "%)") or l:find("__close%(" .. pat .. "%)")
    or l:find("__gc%(" .. pat .. "%)") or l:find("F%.evil%(" .. pat)
end
local work = {n}
keep[n] = true
while #work > 0 do
  local at = table.remove(work)
  for _, slot in ipairs(refs(lines[at])) do
    local pat = "P%[" .. slot .. "%]"
    for j = at - 1, 1, -1 do
      local l = lines[j]
      if l:match("^" .. pat .. " = ") then
        if not keep[j] then
          keep[j] = true
          work[#work + 1] = j
          -- the call whose results F.R holds
          for c = j - 1, 1, -1 do
            if is_call(lines[c]) then
              if not keep[c] then keep[c] = true; work[#work + 1] = c end
              break
            end
          end
        end
        break
      elseif harms(l, pat) and not keep[j] then
        keep[j] = true
        work[#work + 1] = j
      end
    end
  end
end
for i = 1, n do if keep[i] then print(lines[i]) end end
