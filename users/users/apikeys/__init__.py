"""apikeys: keys for scripts and integrations (issue 20)."""
