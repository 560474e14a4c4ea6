"""Catalog: items and their variations (the priced, sellable units orders reference), and their stock."""

from flint_core.catalog import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Catalog and inventory"
DESCRIPTION = "Items and their variations (SKU, price, tax category): create, find, update, archive."
DOCS = "catalog"
