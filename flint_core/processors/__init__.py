"""Card processing behind one Protocol: the simulator in test mode, Stripe in live mode."""

from flint_core.processors.base import (
                                        CardSource,
                                        ChargeResult,
                                        ChargeStatus,
                                        Failure,
                                        PaymentProcessor,
                                        ProcessorError,
                                        RefundOutcome,
                                        RefundResult,
)

__all__ = ["CardSource", "ChargeResult", "ChargeStatus", "Failure", "PaymentProcessor", "ProcessorError",
           "RefundResult", "RefundOutcome"]
