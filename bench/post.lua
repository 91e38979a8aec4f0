-- wrk script: POST the JSON in $BENCH_BODY (empty when unset) on every request.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = "application/json"
