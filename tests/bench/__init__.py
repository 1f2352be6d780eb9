"""Benchmark helpers: a generator of realistic collections and the timing script (`python -m tests.bench.run`)."""
