"""users: accounts, identity, roles, and people following incidents."""
