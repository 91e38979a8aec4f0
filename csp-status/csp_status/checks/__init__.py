"""checks area of csp-status."""
