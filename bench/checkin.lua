-- wrk script: each thread posts check-ins for its share of the members, one token per
-- request, then a few more laps' worth (repeats answer 200, or replay the first answer under
-- BENCH_IDEMPOTENCY) so none is missed; a thread stops once all of its members have been
-- answered.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  tokens = {}
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if i % nthreads == id then table.insert(tokens, line) end
    i = i + 1
  end
  sent, answered = 0, 0
  path, body = os.getenv("BENCH_PATH"), os.getenv("BENCH_BODY")
end

function request()
  local index = (sent % #tokens) + 1
  local token = tokens[index]
  sent = sent + 1
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if os.getenv("BENCH_IDEMPOTENCY") == "1" then
    -- one key per member's request, as the phone keeps it across its retries
    headers["Idempotency-Key"] = "bench-" .. id .. "-" .. index
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #tokens then wrk.thread:stop() end
end
