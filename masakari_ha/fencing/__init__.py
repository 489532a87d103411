"""Fencing: making sure a failed compute node is powered off before its guests move."""
