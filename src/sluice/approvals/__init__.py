"""Four eyes for irreversible acts (N1 三重一大, DESIGN §7): requests and second approvals.

Terminating an agreement, forcing an exit and withdrawing a catalog batch cannot be undone.
None of them happens on one person's word: one bureau user files a request (what, on
which object, on what grounds, optionally citing the collective decision it rests on), and
the act is carried out only when a *different* bureau user approves it, or at once when it
cites a collective decision that someone else recorded. A request can be rejected, and it
lapses after ``approval_hours``; either way nothing changes.

The modules that own the acts register them here (``registry.register``): this package
imports none of them, so there is no import circle, and it stays small and generic.
"""
