"""Organizations, users, roles, permissions, sessions, tokens and API keys (R8.3)."""
