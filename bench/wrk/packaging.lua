-- Pack one package per request, each id once: args = {token, file of package ids, threads}.
-- When the ids run out, requests go to package 0 (404), which counts as an error, not a success.
local ids = {}
local threads
local counter = 0
local body = '{"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}'

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Token " .. args[1]
   for line in io.lines(args[2]) do
      ids[#ids + 1] = line
   end
   threads = tonumber(args[3])
end

function request()
   local id = ids[counter * threads + (thread_index or 0) + 1] or "0"
   counter = counter + 1
   return wrk.format(nil, "/api/v1/oms/packages/" .. id .. "/command/", nil, body)
end
