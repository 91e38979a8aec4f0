"""The public pages: status, component, incident, history, check."""
