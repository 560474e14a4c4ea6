"""Test-mode controls for the simulated processor: the per-sandbox fault switch."""

from __future__ import annotations

from flint_core.kernel.errors import FlintError
from flint_core.platform.context import Context
from flint_core.platform.registry import IDEMPOTENT_WRITE, operation
from flint_core.processors import simulator
from flint_core.store.tables import LIVE
from flint_core.test_helpers.inputs import FaultMode, SetFaultsInput
from flint_core.test_helpers.views import SimulatorFaults


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
