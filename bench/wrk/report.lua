-- Shared by the Samlast wrk scripts (loaded with dofile): counts answers outside 2xx
-- per thread and prints one summary line that bench/load/measure.py reads.

local threads = {}

function setup(thread)
   thread:set("thread_no", #threads)
   table.insert(threads, thread)
end

non2xx = 0
first_error = nil

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_error == nil then
         first_error = status .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local refused, first = 0, nil
   for _, thread in ipairs(threads) do
      refused = refused + thread:get("non2xx")
      first = first or thread:get("first_error")
   end
   local errors = summary.errors
   io.write(string.format(
      'SAMLAST-WRK {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, '
         .. '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.duration, refused, errors.connect, errors.read,
      errors.write, errors.timeout, latency:percentile(50), latency:percentile(99)))
   if first then
      io.write("SAMLAST-WRK-FIRST-ERROR ", (string.gsub(first, "%s+", " ")), "\n")
   end
end
