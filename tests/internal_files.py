"""The project's internal contract files (API.md, DESIGN.md, STYLE.md, COMMERCE.md): nothing user-facing,
whether a committed doc or a served text, may cite them."""

from __future__ import annotations

import re

INTERNAL = re.compile(r"\b(?:API|DESIGN|STYLE|COMMERCE)\.md\b", re.I)
