"""OMS benchmarks: see bench/README.md. `bench/run` runs them all."""
