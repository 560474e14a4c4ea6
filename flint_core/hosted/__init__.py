"""What the hosted pages do (checkout, saving a card; payment links, invoices later), without their HTML:
the faces render these view models. Every action goes through the operations and their steps."""

from flint_core.hosted import checkout, setup, simulator_3ds

__all__ = ["checkout", "setup", "simulator_3ds"]
