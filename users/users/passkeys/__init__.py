"""passkeys: signing in with WebAuthn credentials (issue 20)."""
