"""Benchmark workloads: realistic states for timing the transition (edge tooling, like the CLI)."""
