"""Customers: profiles that orders attach to, searched by name or email."""

TITLE = "Customers"
DOCS = "customers"
