-- wrk script for bench-core: customers posting widget messages. Each request carries its own
-- Idempotency-Key and goes out under one of many visitor tokens (read from the file named by
-- the first script argument: "token customer_id" per line), so the server sees many
-- conversations, not one hot row. done() prints one machine-readable line:
--   WRK requests=N duration_s=F rps=F p50_ms=F p99_ms=F non2xx=N errors=N statuses=201:N,...
-- Usage: wrk -t2 -c64 -d20s -s bench/post_message.lua http://HOST:PORT -- TOKENS [RUN_ID]

local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    local path = args[1] or error("post_message.lua: pass the tokens file after --")
    run_id = args[2] or tostring(os.time())
    tokens = {}
    for line in io.lines(path) do
        local t = line:match("^(%S+)")
        if t then tokens[#tokens + 1] = t end
    end
    if #tokens == 0 then error("post_message.lua: no tokens in " .. path) end
    -- each thread starts at a different place in the token list
    cursor = (id * 7919) % #tokens
    statuses = {}
    non2xx = 0
end

function request()
    counter = counter + 1
    cursor = cursor % #tokens + 1
    local body = string.format('{"body":"bench message %d-%d: my order has not arrived yet"}', id, counter)
    return wrk.format("POST", "/api/v1/widget/messages", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. tokens[cursor],
        ["Idempotency-Key"] = string.format("bench-%s-%d-%d", run_id, id, counter),
    }, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
        if non2xx <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. body:sub(1, 200) .. "\n") end
    end
end

function done(summary, latency, requests)
    local non2xx_total, seen = 0, {}
    for _, t in ipairs(threads) do
        non2xx_total = non2xx_total + (t:get("non2xx") or 0)
        local st = t:get("statuses") or {}
        for k, v in pairs(st) do seen[k] = (seen[k] or 0) + v end
    end
    local parts = {}
    for k, v in pairs(seen) do parts[#parts + 1] = k .. ":" .. v end
    table.sort(parts)
    local e = summary.errors
    local errors = e.connect + e.read + e.write + e.timeout
    local secs = summary.duration / 1e6
    io.write(string.format(
        "WRK requests=%d duration_s=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d errors=%d statuses=%s\n",
        summary.requests, secs, summary.requests / secs,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, non2xx_total, errors, table.concat(parts, ",")))
end
