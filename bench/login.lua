-- wrk script for tether login at the configured scrypt cost: the same
-- user every time (args[1] email, args[2] password).
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"email":"' .. args[1] .. '","password":"' .. args[2] .. '"}'
end
