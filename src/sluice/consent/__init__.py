"""The consent ledger: data subjects grant and revoke buyers' consent per product and
purpose, and see every use of their data (R8.7, R8.11)."""
