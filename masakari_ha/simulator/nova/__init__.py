"""Nova emulator: in-memory cloud state (cloud.py, actions.py), HTTP routes (app.py and routes_*),
control API (control.py), failure injection (faults.py) and latency profiles (latency.py)."""
