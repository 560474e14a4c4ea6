"""The pure kernel: money, state machines, errors, ids and text rules. Imports nothing of Flint outside
kernel/, touches no database and no registry."""
