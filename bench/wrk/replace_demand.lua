-- PUT /v1/demand-rounds/{id}/lines: replace a co-op's whole demand round, the co-ops
-- taken in turn, quantities different every request.
-- wrk ... URL -- PRODUCT_IDS(comma-separated) TOKEN ROUND_ID [TOKEN ROUND_ID]...
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "report.lua")

local products = {}
local rounds = {}
local sent = 0

function init(args)
   for id in string.gmatch(args[1], "[^,]+") do
      products[#products + 1] = id
   end
   for i = 2, #args - 1, 2 do
      rounds[#rounds + 1] = {token = args[i], id = args[i + 1]}
   end
   sent = thread_no
end

function request()
   sent = sent + 1
   local round = rounds[sent % #rounds + 1]
   local lines = {}
   for i, product in ipairs(products) do
      lines[i] = string.format(
         '{"product_id": "%s", "firm_quantity": %d, "tolerance": %d}',
         product, 1 + (sent + i) % 40, i % 3)
   end
   local headers = {
      ["Authorization"] = "Bearer " .. round.token,
      ["Content-Type"] = "application/json",
      ["If-Match"] = "*",
   }
   local body = '{"lines": [' .. table.concat(lines, ", ") .. "]}"
   return wrk.format("PUT", "/v1/demand-rounds/" .. round.id .. "/lines", headers, body)
end
