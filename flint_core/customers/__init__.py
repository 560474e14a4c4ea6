"""Customers: profiles that orders attach to, searched by name or email."""

TITLE = "Customers"
DESCRIPTION = "Customer profiles: create, read, list and search by name or email."
DOCS = "customers"
