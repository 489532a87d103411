"""Console entry points of the monitors (config, objects, run; no logic)."""
