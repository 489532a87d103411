"""One module per recovery flow: what runs for a claimed notification of each type."""
