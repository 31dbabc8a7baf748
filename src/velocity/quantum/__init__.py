"""Product C, "Quantum Merge": a speculative merge queue."""
