"""The bare floor: the cheapest DRF endpoint the stack can serve, to measure OMS against.

One `APIView` answering a small JSON object: no database, no middleware, no authentication, no app
of OMS. The benchmarks serve it with the same gunicorn settings as OMS (`gunicorn bench.floor.wsgi`)
and measure it side by side with OMS's endpoints, so every rate has a floor from the same run.
"""
