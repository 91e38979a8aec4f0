"""ofrep."""
