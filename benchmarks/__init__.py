"""Benchmarks: generated conference events of any size, served by the replay servers, every stage timed."""
