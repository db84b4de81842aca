-- POST /v1/offers as a producer, a different valid offer every request.
-- wrk ... URL -- TOKEN NETWORK_ID VALID_FROM VALID_UNTIL PRODUCT_ID...
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "report.lua")

local headers, network, valid_from, valid_until
local products = {}
local sent = 0

function init(args)
   headers = {["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json"}
   network, valid_from, valid_until = args[2], args[3], args[4]
   for i = 5, #args do
      products[#products + 1] = args[i]
   end
end

function request()
   sent = sent + 1
   local body = string.format(
      '{"listings": [{"network_id": "%s", "product_id": "%s"}], "pack_units": %d, '
         .. '"packs_available": %d, "price_per_pack_ore": %d, "valid_from": "%s", '
         .. '"valid_until": "%s", "pickup": {"lat": 59.9126, "lon": 17.5203, '
         .. '"address": "Ekeby 1, Uppsala"}, "pickup_windows": [{"opens": "07:00:00", '
         .. '"closes": "11:00:00"}], "note": "wrk thread %d offer %d"}',
      network, products[sent % #products + 1], 5 + sent % 4 * 5, 1 + sent % 40,
      9000 + sent % 500 * 10, valid_from, valid_until, thread_no, sent)
   return wrk.format("POST", "/v1/offers", headers, body)
end
