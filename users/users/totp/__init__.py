"""totp: two-factor sign-in with time-based codes (issue 20)."""
