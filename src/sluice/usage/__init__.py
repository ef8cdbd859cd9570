"""How a provider's data is used: products, organizations and volumes, read from the audit log."""
