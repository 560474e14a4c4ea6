"""Payments: pay an order, 3D Secure, holds and capture, voids, retries after a processor failure."""

TITLE = "Payments"
DOCS = "payments"
