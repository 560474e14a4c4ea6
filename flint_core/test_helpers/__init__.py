"""Test-mode helpers: controls of the card simulator (faults to inject). Never live."""

TITLE = "Test-mode simulator"
DESCRIPTION = "Test mode only: inject faults into the card simulator."
DOCS = "testing"
