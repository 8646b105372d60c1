-- tests/dist/lib.lua: checks run on every rank of a job, reported once.
-- check(name, ok, detail) records a result (a failing rank prints its
-- detail at once); finish() takes each check's worst result over the
-- ranks, and rank 1 prints "ok: name" or "FAIL: name" for each; a failure
-- anywhere makes finish raise on every rank, so the job exits non-zero.
local lunet = require "lunet"
local dist = lunet.dist
local M = {names = {}, bad = {}, worst = 0}

function M.check(name, ok, detail)
  M.names[#M.names + 1] = name
  M.bad[#M.bad + 1] = ok and 0 or 1
  if not ok then
    io.stderr:write(("rank %d: %s: %s\n"):format(dist.rank(), name, detail or "failed"))
  end
end

-- The largest |a - b| over the largest |b| (1 when b is all zeros).
function M.rel(a, b)
  local scale = b:abs():max()
  return (a - b):abs():max() / (scale > 0 and scale or 1)
end

-- Checks that tensor a is b to tol relative (M.rel).
function M.close(name, a, b, tol)
  local ok, r = pcall(M.rel, a, b)
  if ok then M.worst = math.max(M.worst, r) end
  M.check(name, ok and r <= tol, ok and ("relative error %.3g > %g"):format(r, tol) or r)
  return ok and r or math.huge
end

function M.finish()
  local count = lunet.tensor{#M.bad}
  dist.all_reduce(count, "max")  -- a rank may have made fewer checks
  local t = lunet.zeros(math.max(1, count:get(1)))
  for i = 1, #M.bad do t:set(i, M.bad[i]) end
  dist.all_reduce(t, "max")
  local worst = lunet.tensor{M.worst}
  dist.all_reduce(worst, "max")
  if dist.rank() == 1 then
    print(("largest relative error of the comparisons: %.3g"):format(worst:get(1)))
  end
  local failed = 0
  for i = 1, count:get(1) do
    local name, bad = M.names[i] or ("check " .. i .. " (other ranks)"), t:get(i) ~= 0
    failed = failed + (bad and 1 or 0)
    if dist.rank() == 1 then print((bad and "FAIL: " or "ok: ") .. name) end
  end
  if failed > 0 then error(("%d checks failed"):format(failed), 0) end
end

return M
