-- wrk script for tether refresh: every request presents the next refresh
-- token of the pool, each exactly once (threads take disjoint slices).
-- A run that uses up its pool prints POOL_EXHAUSTED, and bench/run marks
-- the run invalid: a token presented twice would be reuse, not a refresh.
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("id", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  local all = {}
  for line in io.lines(args[1]) do all[#all + 1] = line end
  local per = math.floor(#all / tonumber(args[2]))
  tokens = {}
  for i = per * id + 1, per * (id + 1) do tokens[#tokens + 1] = all[i] end
  next_i = 1
  exhausted = 0
end

function request()
  local tok = tokens[next_i]
  next_i = next_i + 1
  if tok == nil then
    exhausted = exhausted + 1
    tok = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    '{"refresh_token":"' .. tok .. '"}')
end

function done(summary, latency, requests)
  local used, ex = 0, 0
  for _, t in ipairs(threads) do
    used = used + (t:get("next_i") or 1) - 1
    ex = ex + (t:get("exhausted") or 0)
  end
  io.write(string.format("POOL_USED %d\n", used))
  if ex > 0 then io.write(string.format("POOL_EXHAUSTED %d\n", ex)) end
  -- Every latency of the run ("microseconds count" a line), appended to
  -- BENCH_HIST: the percentiles of many runs together are those of their
  -- merged histograms, not a median of each run's own.
  local path = os.getenv("BENCH_HIST")
  if path ~= nil and path ~= "" then
    local f = assert(io.open(path, "a"))
    for i = 1, #latency do
      local v, c = latency(i)
      f:write(string.format("%d %d\n", v, c))
    end
    f:close()
  end
end
