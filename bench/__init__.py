"""Benchmarks: `make bench` prints figures next to their goals; nothing here asserts."""
