-- A job whose rank 2 fails in the middle of a loop of collectives, by a Lua
-- error ("error") or killed by SIGKILL ("kill"); dist.sh checks that mpirun
-- ends the whole job, non-zero, within seconds.
local lunet = require "lunet"
local dist = lunet.dist
local mode = arg[1]
local t = lunet.ones(1000)
for step = 1, 1e7 do
  if dist.rank() == 2 and step == 50 then
    if mode == "error" then error("rank two fails here") end
    local pid = io.open("/proc/self/stat"):read("a"):match("^(%d+)")
    os.execute("kill -KILL " .. pid)
  end
  dist.all_reduce(t, "mean")
end
