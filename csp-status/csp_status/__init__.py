"""csp-status: the state of what PolyStatus depends on (providers) and of what it runs (checks)."""
