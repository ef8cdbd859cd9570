"""The audit log made checkable from outside: signed tree heads, proofs and the public page.

``audit`` keeps the log and its Merkle tree (``audit.sequencer``) but sits below
``identity``, which holds the bureau's SM2 key; this package, one layer above ``identity``,
signs the tree's heads with that key and serves them, the proofs and the transparency page.
"""
