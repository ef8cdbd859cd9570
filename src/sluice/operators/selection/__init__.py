"""Competitive consultation (竞争性磋商, R5.2a): the bureau chooses an operator for a scenario
from qualified candidates scored by a panel, and publishes the result."""
