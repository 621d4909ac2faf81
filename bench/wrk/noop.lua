-- GET the no-op endpoint with the token: args = {token}.
function init(args)
   wrk.headers["Authorization"] = "Token " .. args[1]
end
