"""The sandbox (R8.2, R8.6): operators analyse authorized data inside the platform.

``workspaces`` (one per agreement's renewal chain), ``queries`` (run through the guard,
with their history and saved queries), the REST API, the console pages and the workbench
panel. The query decision itself (agreement in force, policy, engine, audit) is the
guard's (``guard.workspace_queries``).
"""
