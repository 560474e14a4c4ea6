"""What the test-mode controls return."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flint_core.platform.schema import Output


class SimulatorFaults(Output):
    object: Literal["simulator_faults"] = Field("simulator_faults", description="Always `simulator_faults`.")
    sandbox_id: str = Field(description="The sandbox whose simulated processor this configures.")
    mode: str = Field(description="The failure injected, or NONE.")
    remaining: int = Field(description="How many calls will still fail.")
