"""What the hosted pages do (checkout now; payment links, invoices later), without their HTML: the
faces render these view models. Every action goes through the operations."""

from flint_core.hosted import checkout, simulator_3ds

__all__ = ["checkout", "simulator_3ds"]
