"""The pacemaker host monitor: crm_mon XML → node samples → debounced, fencing-aware
COMPUTE_HOST notifications about peers (never about itself)."""
