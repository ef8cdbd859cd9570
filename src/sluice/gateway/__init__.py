"""The buyer gateway: API-key authenticated calls to data products."""
