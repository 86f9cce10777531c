-- wrk script for bench/run.py: `wrk ... -s bench/load.lua URL -- MODE DATAFILE`.
-- MODE: card (GET /c/<code> of a random other attendee), save (htmx POST /c/<code>/save with a
-- note and the session's real CSRF token), bare (GET /bare), floor (GET /floor/<code> of bench/floor_app.py). DATAFILE is a Lua file written by
-- run.py returning {cookie_name=, sessions = {{cookie=, token=, index=, ip=}, ...}, codes = {...}}.
-- Each request picks a random signed-in attendee, so the load comes from many different people,
-- each with their own address in X-Forwarded-For (the app runs with TRUSTED_PROXIES=1, as behind
-- a load balancer), so per-IP rate limits see many phones rather than one.

local mode, sessions, codes, cookie_name
statuses = {}   -- global, so done() can read each thread's copy
local threads = {}
local notes = {"Talked+scheduling+over+coffee.", "Promised+to+send+the+master+schedule+template.",
               "Voxer+group+for+early-career+principals%3F", "Great+ideas+on+family+engagement+nights."}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  local data = dofile(args[2])
  sessions, codes, cookie_name = data.sessions, data.codes, data.cookie_name
  math.randomseed(os.time() * 1000 + tonumber(tostring(wrk.thread):match("0x(%x+)") or "1", 16) % 1000)
end

local function other_code(self_index)
  local j = math.random(#codes)
  if j == self_index then j = j % #codes + 1 end
  return codes[j]
end

function request()
  if mode == "bare" then
    return wrk.format("GET", "/bare", {["Accept-Encoding"] = "gzip"})
  end
  local s = sessions[math.random(#sessions)]
  local code = other_code(s.index)
  local headers = {["Cookie"] = cookie_name .. "=" .. s.cookie, ["Accept-Encoding"] = "gzip", ["X-Forwarded-For"] = s.ip}
  if mode == "card" then
    return wrk.format("GET", "/c/" .. code, headers)
  end
  if mode == "floor" then
    return wrk.format("GET", "/floor/" .. code, headers)
  end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["HX-Request"] = "true"
  headers["HX-Current-URL"] = "http://127.0.0.1/c/" .. code
  local body = "csrf_token=" .. s.token .. "&note=" .. notes[math.random(#notes)] .. "&tags=bench%2C+" .. mode
  return wrk.format("POST", "/c/" .. code .. "/save", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.duration, summary.requests, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
end
