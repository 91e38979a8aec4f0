"""Email-only subscribers (no account), confirmed by a link, as on Statuspage."""
