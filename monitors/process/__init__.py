"""The process monitor: keeps listed processes running, reports those it cannot restart."""
