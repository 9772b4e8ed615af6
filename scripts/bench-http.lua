-- wrk script for `make bench-http`: POST /v1/verify with {"key": …}, rotating over the
-- stored keys (KEYWARD_BENCH_SECRETS, one per line), each thread from its own offset.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  keys = {}
  local path = os.getenv("KEYWARD_BENCH_SECRETS")
  for line in io.lines(path) do
    keys[#keys + 1] = line
  end
  i = tonumber(offset) or 0
  invalid = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  i = i + 1
  local key = keys[(i % #keys) + 1]
  return wrk.format("POST", nil, headers, '{"key":"' .. key .. '"}')
end

-- Every key is valid: with KEYWARD_BENCH_CHECK=1 (a short run before the measured one),
-- count any answer that says otherwise. Off while measuring: handing each body to Lua
-- costs wrk CPU that the server on the same two cores would not get.
if os.getenv("KEYWARD_BENCH_CHECK") == "1" then
  function response(status, _, body)
    if status ~= 200 or not string.find(body, '"valid":true', 1, true) then
      invalid = invalid + 1
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (tonumber(t:get("invalid")) or 0)
  end
  local seconds = summary.duration / 1e6
  io.write("\n")
  io.write(string.format("requests      %d in %.1f s\n", summary.requests, seconds))
  io.write(string.format("throughput    %.0f req/s\n", summary.requests / seconds))
  io.write(string.format("latency p50   %.2f ms\n", latency:percentile(50) / 1000))
  io.write(string.format("latency p99   %.2f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("latency max   %.2f ms\n", latency.max / 1000))
  if response then
    io.write(string.format("not valid     %d\n", bad))
  end
  local e = summary.errors
  io.write(string.format("socket errors connect %d, read %d, write %d, timeout %d\n",
    e.connect, e.read, e.write, e.timeout))
end
