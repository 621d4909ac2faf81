-- Shared by every bench script (bench/harness.py prepends it): print the summary as one JSON line.
function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, ' ..
      '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
      '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p90_us": %d, "latency_p99_us": %d, ' ..
      '"latency_max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
      errors.status, errors.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
end

-- Each thread learns its index (used to split pks and ids between threads).
local next_thread_index = 0
function setup(thread)
   thread:set("thread_index", next_thread_index)
   next_thread_index = next_thread_index + 1
end
