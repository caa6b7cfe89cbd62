-- wrk script for bench_app.py: requests come from a file, one per line, taken round-robin,
-- so every connection carries real session cookies, CSRF tokens and htmx headers.
--
--   wrk -t1 -c50 -d10s --latency -s bench/wrk_lines.lua http://127.0.0.1:8000 -- FILE STATUS
--
-- Each line: METHOD <TAB> PATH <TAB> Header: value|Header: value <TAB> BODY
-- STATUS is the expected status code; anything else counts as an error. At the end one line
-- "WRKJSON {...}" carries the figures for bench_app.py.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(s, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      table.insert(out, string.sub(s, start))
      return out
    end
    table.insert(out, string.sub(s, start, i - 1))
    start = i + #sep
  end
end

local reqs = {}
local n = 0
local pos = 0
local expected = 200
bad = 0

function init(args)
  expected = tonumber(args[2] or "200")
  for line in io.lines(args[1]) do
    if #line > 0 then
      local f = split(line, "\t")
      local headers = {}
      if f[3] and #f[3] > 0 then
        for _, h in ipairs(split(f[3], "|")) do
          local k, v = string.match(h, "^([^:]+):%s*(.*)$")
          if k then headers[k] = v end
        end
      end
      local body = f[4]
      if body == "" then body = nil end
      table.insert(reqs, wrk.format(f[1], f[2], headers, body))
    end
  end
  n = #reqs
  -- Threads start at different places in the list.
  pos = (id or 1) * 7919 % n
end

function request()
  pos = pos % n + 1
  return reqs[pos]
end

function response(status, headers, body)
  if status ~= expected then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local wrong = 0
  for _, t in ipairs(threads) do
    wrong = wrong + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"unexpected":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, wrong, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
