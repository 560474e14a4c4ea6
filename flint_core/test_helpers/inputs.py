"""What the test-mode controls accept."""

from __future__ import annotations

import enum

from pydantic import Field, StrictInt

from flint_core.platform.schema import Input, lenient_enum


class FaultMode(enum.Enum):
    NONE = "NONE"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"


FaultModeIn = lenient_enum(FaultMode, "TIMEOUT (the call happens, its answer is lost), UNAVAILABLE (a 5xx before "
                                      "anything happens) or NONE (clear).")


class SetFaultsInput(Input):
    mode: FaultModeIn = Field(description="TIMEOUT, UNAVAILABLE or NONE.")
    count: StrictInt = Field(1, ge=0, le=100, description="How many of the next processor calls fail (0 to 100).")
