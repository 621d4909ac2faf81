-- POST a full Omnitron order, a new pk each time: args = {token, template file, first pk, threads}.
-- The template is an order JSON with @PK@ where the order pk goes; item pks are @PK@1, @PK@2, ...
local template, first_pk, threads
local counter = 0

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Token " .. args[1]
   local file = assert(io.open(args[2], "r"))
   template = file:read("*a")
   file:close()
   first_pk = tonumber(args[3])
   threads = tonumber(args[4])
end

function request()
   local pk = first_pk + counter * threads + (thread_index or 0)
   counter = counter + 1
   local body = template:gsub("@PK@", string.format("%d", pk))
   return wrk.format(nil, nil, nil, body)
end
