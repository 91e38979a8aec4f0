"""Shared plumbing for the PolyStatus services.

Only what every service must share lives here (settings, the JSON error shape, Redis
attachment, health, metrics, logs, token verification, events, leases). Domain logic
belongs to the services.
"""
