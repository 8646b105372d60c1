-- progress.lua: the one-line progress bar of the training scripts, redrawn
-- on stderr with \r (callers limit how often).
local M = {}

function M.draw(epoch, epochs, done, total, rate, loss)
  local w = 30
  local fill = math.floor(w * done / total)
  io.stderr:write(string.format("\repoch %d/%d [%s%s] %d/%d  %.1f batch/s  loss %.4f",
    epoch, epochs, string.rep("=", fill), string.rep(" ", w - fill), done, total, rate, loss))
  io.stderr:flush()
end

return M
