"""Account emails: sign-up confirmation, password reset, subscription confirmation."""
