-- wrk script for bench/http/run.sh: sends `Authorization: Bearer $BENCH_TOKEN` on every request.
local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  error("auth.lua: set BENCH_TOKEN to the API token to send")
end
wrk.headers["Authorization"] = "Bearer " .. token
