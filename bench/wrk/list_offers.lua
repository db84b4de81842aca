-- GET the URL (e.g. /v1/offers) with a bearer token: wrk ... URL -- TOKEN
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "report.lua")

function init(args)
   wrk.headers["Authorization"] = "Bearer " .. args[1]
end
