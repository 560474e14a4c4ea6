"""Test-mode controls for the simulated processor: the per-sandbox fault switch."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import Field, StrictInt

from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.registry import IDEMPOTENT_WRITE, operation
from flint_core.platform.schema import Input, Output, lenient_enum
from flint_core.processors import simulator
from flint_core.store.tables import LIVE


class FaultMode(enum.Enum):
    NONE = "NONE"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"


FaultModeIn = lenient_enum(FaultMode, "TIMEOUT (the call happens, its answer is lost), UNAVAILABLE (a 5xx before "
                                      "anything happens) or NONE (clear).")


class SetFaultsInput(Input):
    mode: FaultModeIn = Field(description="TIMEOUT, UNAVAILABLE or NONE.")
    count: StrictInt = Field(1, ge=0, le=100, description="How many of the next processor calls fail (0 to 100).")


class SimulatorFaults(Output):
    object: Literal["simulator_faults"] = Field("simulator_faults", description="Always `simulator_faults`.")
    sandbox_id: str = Field(description="The sandbox whose simulated processor this configures.")
    mode: str = Field(description="The failure injected, or NONE.")
    remaining: int = Field(description="How many calls will still fail.")


@operation("set_simulator_faults", http="POST /v1/simulator/faults", scope="payments:write",
           safety=IDEMPOTENT_WRITE,
           summary="Test mode: make the next simulated processor calls time out or fail, to test retries.")
def set_simulator_faults(ctx: Context, params: SetFaultsInput) -> SimulatorFaults:
    """Test mode only. The next `count` charges, captures, voids or refunds in this sandbox fail:
    TIMEOUT performs the call and loses its answer (pay_order answers 504 processor_timeout with effect
    unknown; retry_payment or the same idempotency key then finds the charge), UNAVAILABLE fails before
    anything happens (502). NONE clears the switch. Lookups never fail, so recovery always works."""
    if ctx.env_id == LIVE:
        raise FlintError("parameter_invalid", param="mode", detail="the fault switch exists in test mode only")
    mode = None if params.mode is FaultMode.NONE else params.mode.value
    fault = simulator.set_faults(ctx.session, ctx.env_id, mode, params.count)
    return SimulatorFaults(sandbox_id=ctx.env_id, mode=fault.mode if fault else "NONE",
                           remaining=fault.remaining if fault else 0)
