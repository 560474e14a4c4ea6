"""What the hosted pages do (checkout now; payment links, invoices later), without their HTML: the
faces render these view models. Every action goes through the operations."""
