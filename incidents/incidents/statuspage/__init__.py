"""statuspage."""
