"""Benchmark suites and leaderboards."""
