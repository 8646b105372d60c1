-- xwin.lua: what the window scripts under Xvfb share: running a command,
-- polling for a condition, and opening a window that xdotool can drive.
local lunet = require "lunet"

local M = {}

-- The output of a shell command (stderr too).
function M.sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local s = p:read("a")
  p:close()
  return s
end

-- Polls cond until it holds, for at most 20 s; `between` runs between tries
-- (a short sleep, or more logging).
function M.poll(cond, between)
  local t0 = os.time()
  while not cond() do
    if os.time() - t0 > 20 then return false end
    if between then between() else os.execute("sleep 0.02") end
  end
  return true
end

-- A window on board titled title, drawn once, mapped and focused; prints
-- "window <title> <drawn> <found>". Returns the viewer and its X id (nil
-- when xdotool did not find it).
function M.open(board, title, width, height)
  local win = lunet.viewer.show(board, {width = width, height = height, title = title})
  local drawn = M.poll(function() return win:frames() >= 1 end)
  -- --sync waits for the window to be mapped; timeout bounds it
  local id = M.sh("timeout 20 xdotool search --sync --name '^" .. title .. "$'"):match("%d+")
  print("window", title, drawn, id ~= nil)
  if id then M.sh("timeout 20 xdotool windowfocus --sync " .. id) end
  return win, id
end

return M
