"""accounts pages."""
