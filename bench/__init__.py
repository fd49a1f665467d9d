"""bench — province-scale data generation and benchmarks.

Owns: the deterministic scale generator (:mod:`bench.generate`) that writes an estate and
the department request manifests behind it, for benchmarks, scale tests and the demo.

Must not import any govcloud package: the generator writes the same plain data a
department would, so the parsers it feeds are tested, not bypassed.
"""
