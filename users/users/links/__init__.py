"""Emailed links: confirming a sign-up, resetting a forgotten password."""
