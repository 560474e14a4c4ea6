"""Saved cards: customers' payment methods and the setup intents that save them, charged later by pay_order."""

from flint_core.payment_methods import errors, events  # noqa: F401  (declare the domain's error codes and event types)

TITLE = "Saved cards"
DESCRIPTION = ("Customers' saved cards: save one with a setup intent (3D Secure when asked), list, choose the "
               "default, detach; pay_order charges them.")
DOCS = "saved-cards"
