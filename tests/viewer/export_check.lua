-- Run by tests/viewer/export.sh with a scratch directory: writes a board's
-- exports there and reads them back. Ends with "N passed, N failed".
local lunet = require "lunet"
local json = require "dkjson"
local dir = assert(arg[1], "usage: export_check.lua DIR")

local passed, failed = 0, 0
local function check(cond, msg)
  if cond then passed = passed + 1 else failed = failed + 1; print("FAIL: " .. msg) end
end
local function near(a, b, tol) return a and b and math.abs(a - b) <= tol end
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- CSV fields, quoted ones with "" inside
local function fields(line)
  local out, i = {}, 1
  while i <= #line + 1 do
    if line:sub(i, i) == '"' then
      local j, v = i + 1, ""
      while true do
        local q = line:find('"', j, true)
        v = v .. line:sub(j, q - 1)
        if line:sub(q + 1, q + 1) == '"' then v = v .. '"'; j = q + 2
        else i = q + 2; break end
      end
      out[#out + 1] = v
    else
      local c = line:find(",", i, true) or #line + 1
      out[#out + 1] = line:sub(i, c - 1)
      i = c + 1
    end
  end
  return out
end

local function csv(path)
  local rows, head = {}, nil
  for line in io.lines(path) do
    local f = fields(line)
    if not head then head = f
    else
      local r = {}
      for k, name in ipairs(head) do r[name] = f[k] end
      rows[#rows + 1] = r
    end
  end
  return head, rows
end

local t0 = os.time()
local logdir = dir .. "/run"
local b = lunet.Board{logdir = logdir}
local x = lunet.zeros(1000)
for i = 1, 1000 do x[i] = i end                       -- 1 .. 1000
local z = lunet.zeros(400)
for i = 201, 400 do z[i] = (i - 200) / 100 end        -- half zeros, half in (0, 2]
b:histogram("BN/L1", 0, x)
b:histogram("BN/L1", 10, x * 2)
b:histogram('odd, "tag"', 0, z)
b:histogram("BN/L2", 0, lunet.zeros(5) / 0)            -- NaN only
b:scalar("cost/BN", 1, 0.5)
b:scalar("cost/BN", 2, 0 / 0)
b:axis("cost", {xlabel = "epoch"})
b:close()
local t1 = os.time()
b = lunet.Board.open(logdir)

-- histogram summaries as CSV
local path = dir .. "/h.csv"
b:save_csv(path, {kind = "histograms"})
local head, rows = csv(path)
check(table.concat(head, ",") == "tag,step,wall,count,finite,mean,std,min,max,zeros,nan," ..
      "pinf,ninf,saturated,saturation,p0,p6.68,p15.87,p30.85,p50,p69.15,p84.13,p93.32,p100",
      "header " .. table.concat(head, ","))
check(#rows == 4, #rows .. " rows")
local r = rows[1]
check(r.tag == "BN/L1" and r.step == "0" and r.count == "1000" and r.finite == "1000",
      "row 1 " .. tostring(r.tag) .. " " .. tostring(r.count))
check(tonumber(r.wall) >= t0 - 1 and tonumber(r.wall) <= t1 + 1, "wall " .. tostring(r.wall))
check(near(tonumber(r.mean), 500.5, 2) and near(tonumber(r.std), 288.7, 2), "mean/std " ..
      tostring(r.mean) .. " " .. tostring(r.std))
check(tonumber(r.min) == 1 and tonumber(r.max) == 1000, "min/max " .. r.min .. " " .. r.max)
check(near(tonumber(r.p50), 500, 3) and near(tonumber(r["p15.87"]), 158.7, 3),
      "percentiles " .. r.p50 .. " " .. r["p15.87"])
check(tonumber(r.saturated) == 1000 and tonumber(r.saturation) == 0.97, "saturated " ..
      r.saturated)
check(rows[2].step == "10" and near(tonumber(rows[2].mean), 1001, 4), "row 2 mean " ..
      tostring(rows[2].mean))
r = rows[3]
check(r.tag == 'odd, "tag"' and r.zeros == "200" and r.min == "0" and r.p0 == "0" and
      near(tonumber(r["p93.32"]), 1.73, 0.02), "zeros row " .. tostring(r.tag) .. " " ..
      tostring(r["p93.32"]))
r = rows[4]
check(r.nan == "5" and r.finite == "0" and r.mean == "" and r.p50 == "" and r.min == "",
      "NaN row " .. tostring(r.nan) .. " '" .. tostring(r.mean) .. "'")
-- the scalar CSV is as it was
b:save_csv(dir .. "/s.csv")
check(read(dir .. "/s.csv") == "tag,step,value\ncost/BN,1,0.5\ncost/BN,2,nan\n",
      "scalars CSV " .. read(dir .. "/s.csv"))

-- JSON
b:save_json(dir .. "/b.json")
local doc, _, err = json.decode(read(dir .. "/b.json"), 1, json.null)
check(doc ~= nil, "JSON does not parse: " .. tostring(err))
doc = doc or {}
check(doc.format == "lunet.board" and doc.version == 1, "format")
local s = doc.scalars and doc.scalars[1] or {}
check(s.tag == "cost/BN" and s.group == "cost" and s.run == "BN" and #s.points == 2, "scalar")
check(s.points and s.points[1][1] == 1 and s.points[1][2] == 0.5 and
      s.points[1][3] >= t0 - 1 and s.points[1][3] <= t1 + 1, "point 1")
check(s.points and s.points[2][2] == json.null, "NaN is null")
local h = doc.histograms and doc.histograms[1] or {}
check(h.tag == "BN/L1" and h.run == "BN" and h.layer == "L1" and #h.snapshots == 2, "hist")
local sn = h.snapshots and h.snapshots[1] or {}
check(sn.count == 1000 and sn.min == 1 and sn.max == 1000 and near(sn.mean, 500.5, 2) and
      sn.percentiles and near(sn.percentiles["50"], 500, 3) and sn.percentiles["100"] == 1000,
      "snapshot")
check(sn.wall == tonumber(rows[1].wall), "the JSON's wall is the CSV's")
sn = {}
for _, t in ipairs(doc.histograms or {}) do
  if t.tag == "BN/L2" then sn = t.snapshots[1] end
end
check(sn.nan == 5 and sn.mean == json.null and sn.percentiles == json.null, "NaN snapshot")
check(doc.axes and doc.axes[1].group == "cost" and doc.axes[1].xlabel == "epoch" and
      doc.axes[1].ylabel == json.null, "axes")

-- the live board and its reopened log: the same JSON, wall times included
local live = lunet.Board{logdir = dir .. "/run2"}
for i = 1, 50 do
  live:scalar("loss/a", i, 1 / i)
  if i % 10 == 0 then live:histogram("a/w", i, lunet.randn(300)) end
end
live:flush()
live:save_json(dir .. "/live.json")
live:close()
lunet.Board.open(dir .. "/run2"):save_json(dir .. "/reopened.json")
check(read(dir .. "/live.json") == read(dir .. "/reopened.json"), "the reopened JSON differs")

-- errors name the function
local ok, e = pcall(b.save_csv, b, dir .. "/x.csv", {kind = "images"})
check(not ok and e:find("Board:save_csv: option 'kind' must be", 1, true), tostring(e))
ok, e = pcall(b.save_json, b, "/nonexistent/x.json")
check(not ok and e:find("Board:save_json: cannot write /nonexistent/x.json", 1, true),
      tostring(e))
ok, e = pcall(b.save_json, b, dir .. "/x.json", 2)
check(not ok and e:find("unexpected argument #3", 1, true), tostring(e))

-- save_png's drawing options: bands, the x axis, the filter
for _, o in ipairs{{hist = "bands"}, {hist = "heat"}, {time = true}, {xaxis = "relative"},
                   {xaxis = "wall", hist = "bands"}, {filter = "bn/"}, {filter = "none"}} do
  local png = dir .. "/o.png"
  os.remove(png)
  ok, e = pcall(b.save_png, b, png, o)
  check(ok and io.open(png, "rb") ~= nil, "save_png " .. json.encode(o) .. ": " .. tostring(e))
end
ok, e = pcall(b.save_png, b, dir .. "/o.png", {hist = "pie"})
check(not ok and e:find([[option 'hist' must be "bars", "heat" or "bands", got "pie"]], 1, true),
      tostring(e))
ok, e = pcall(b.save_png, b, dir .. "/o.png", {xaxis = "epoch"})
check(not ok and e:find([[option 'xaxis' must be "step", "relative" or "wall"]], 1, true),
      tostring(e))
ok, e = pcall(b.save_png, b, dir .. "/o.png", {time = true, hist = "bands"})
check(not ok and e:find("options 'time' and 'hist' disagree", 1, true), tostring(e))
ok, e = pcall(b.save_png, b, dir .. "/o.png", {filter = ("x"):rep(200)})
check(not ok and e:find("option 'filter' is too long", 1, true), tostring(e))
ok, e = pcall(b.save_png, b, dir .. "/o.png", {filter = 3})
check(not ok and e:find("option 'filter' must be a string", 1, true), tostring(e))

print(passed .. " passed, " .. failed .. " failed")
os.exit(failed == 0)
