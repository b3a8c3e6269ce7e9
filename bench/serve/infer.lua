-- wrk script for bench/serve/run.sh: POSTs the file $BENCH_BODY (the OIP inference request) on
-- every request, with `Content-Type: application/json` and `Authorization: Bearer $BENCH_TOKEN`
-- (sent to all three servers, so that they parse the same request).
local path = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")
if path == nil or path == "" then error("infer.lua: set BENCH_BODY to the request body file") end
if token == nil or token == "" then error("infer.lua: set BENCH_TOKEN to the API token to send") end
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
