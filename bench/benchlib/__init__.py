"""Benchmark harness for s3up: datasets, sinks, clients, runner, report (stdlib only)."""
