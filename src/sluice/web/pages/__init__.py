"""Pages that belong to no single domain module: the portal, login, the console home."""
