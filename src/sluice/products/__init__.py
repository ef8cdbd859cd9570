"""Data products: what operators build from their workspace, its review, registration,
listing on the market, and what the gateway needs to call one (R6.1, R6.2, R9.1, N2, N5)."""
