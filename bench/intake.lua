-- wrk script: POST /api/v1/cases as fast as the server acknowledges them.
-- Every request carries a fresh Idempotency-Key, as the phone app does.
-- Usage: wrk -s bench/intake.lua http://127.0.0.1:PORT -- TOKEN AREA_CODE
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  area = args[2]
  counter = 0
  prefix = "bench-" .. tostring(tid) .. "-" .. tostring(os.time())
end

function request()
  counter = counter + 1
  local body = '{"type_code":"road_facility","area_code":"' .. area ..
    '","description":"村西水泥路塌陷一个大坑，第' .. counter .. '处"}'
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. counter,
  }, body)
end
