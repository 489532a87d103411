"""The recovery engine: claims notifications, runs persisted TaskFlow flows against Nova."""
