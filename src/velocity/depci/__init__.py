"""Product A, "Dependency-Aware CI": run only the tests a change can reach."""
