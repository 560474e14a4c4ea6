"""Test-mode helpers: controls of the card simulator (faults to inject). Never live."""

TITLE = "Test-mode simulator"
DOCS = "testing"
