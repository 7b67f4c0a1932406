-- wrk script for bench_scan.py: each request opens the next unit code of the list whose file SCAN_UNITS names,
-- as phones scanning different units of a batch would.
local paths = {}
for line in io.lines(os.getenv("SCAN_UNITS")) do
  paths[#paths + 1] = line
end
local next_index = 0

function setup(thread)
  thread:set("next_index", math.random(#paths))
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
