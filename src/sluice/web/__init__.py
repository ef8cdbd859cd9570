"""The web layer: app factory, access dependencies, console and portal pages."""
