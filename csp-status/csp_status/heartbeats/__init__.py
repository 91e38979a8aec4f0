"""heartbeats area of csp-status."""
