-- wrk script: GET /cases/search with a rotating set of Chinese queries, some narrowed by
-- type, some sorted newest first, some on the second page.
-- Usage: wrk -s bench/search.lua http://127.0.0.1:PORT -- TOKEN
local queries = {
  "路灯", "垃圾", "自来水 停水", "低保", "纠纷", "水泥路", "护栏", "宅基地",
  "漏水", "医保", "村口路灯", "建筑垃圾", "老人", "污水", "土地", "邻里",
}
local extras = { "", "&sort=new", "&page=2", "" }
local counter = 0

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  token = args[1]
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  local extra = extras[(counter % #extras) + 1]
  return wrk.format("GET", "/cases/search?q=" .. enc(q) .. extra, {
    ["Authorization"] = "Bearer " .. token,
  })
end
