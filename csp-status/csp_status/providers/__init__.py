"""providers area of csp-status."""
