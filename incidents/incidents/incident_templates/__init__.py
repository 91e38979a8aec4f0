"""Incident templates: the words staff reuse when they open an incident."""
