-- wrk script for tether verify: GET /me with a Bearer token (args[1] is
-- the file holding it). A page view slides the idle timer, but the
-- coalescing step (60 s) leaves the steady state a pure read: the path
-- every page view of a protected site takes.
function init(args)
  local f = io.open(args[1])
  token = f:read("*l")
  f:close()
  wrk.headers["Authorization"] = "Bearer " .. token
end
