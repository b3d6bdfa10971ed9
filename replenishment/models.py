"""Reorder suggestions and policy parameters (issue 4 fills this app)."""
