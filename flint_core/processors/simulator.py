"""The test-mode processor: Stripe test-mode behaviour, deterministic, with a per-sandbox fault switch.

Its ledger lives in the ``simulator_*`` tables and is written in its own transactions, like a remote
system: when Flint rolls back or dies after a call, the simulator still remembers the charge, and a call
repeated with the same key returns the first outcome. Callers must not hold a write transaction open
while calling it (on SQLite that would wait for the lock the caller itself holds).
"""

from __future__ import annotations

import hashlib
import os
import signal
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flint_core.kernel import ids
from flint_core.kernel.text import has_control_character
from flint_core.processors.base import (
    CardDetails,
    CardSource,
    ChargeResult,
    ChargeStatus,
    Failure,
    ProcessorError,
    RefundOutcome,
    RefundResult,
    SetupResult,
    SetupStatus,
)
from flint_core.processors.cards import BY_TOKEN
from flint_core.store.db import Database
from flint_core.store.tables import SimulatedCharge, SimulatedOperation, SimulatedSetup, SimulatorFault

DECLINES = {
    "generic_decline": Failure("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": Failure("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "expired_card": Failure("expired_card", "expired_card", "Your card has expired."),
    "incorrect_cvc": Failure("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": Failure("processing_error", "processing_error",
                                "An error occurred while processing your card. Try again in a little bit."),
    "fraudulent": Failure("card_declined", "fraudulent", "Your card was declined."),
    "lost_card": Failure("card_declined", "lost_card", "Your card was declined."),
    "stolen_card": Failure("card_declined", "stolen_card", "Your card was declined."),
    # a saved card charged with the customer absent, whose bank insists on 3D Secure
    "authentication_required": Failure("authentication_required", None, "This payment needs the customer to "
                                       "authenticate (3D Secure), and they are not here to do it."),
}
AUTHENTICATION_FAILED = Failure("authentication_failed", None,
                                "The customer did not complete 3D Secure authentication.")
FAULT_MODES = ("TIMEOUT", "UNAVAILABLE")


def _now() -> datetime:
    return datetime.now(UTC)


_faults = SimulatorFault.__table__
_ARMED = select(_faults.c.remaining > 0).where(_faults.c.env_id == bindparam("env_id"))


class Simulator:
    name = "simulator"

    def __init__(self, db: Database, env_id: str, *, crash_after_call: bool = False) -> None:
        self.db = db
        self.env_id = env_id
        # Crash-safety testing (Settings.simulator_crash_after_call): SIGKILL this process after each call.
        self.crash_after_call = crash_after_call

    # -- faults ---------------------------------------------------------------------------------------
    def _take_fault(self) -> str | None:
        with self.db.transaction(write=False) as session:  # faults are rare: look before taking the write lock
            if not session.scalar(_ARMED, {"env_id": self.env_id}):
                return None
        with self.db.transaction() as session:
            fault = session.get(SimulatorFault, self.env_id, with_for_update=True)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault.mode

    def _call(self, work):  # type: ignore[no-untyped-def]
        """Run one mutating call under the fault switch: UNAVAILABLE fails before doing anything,
        TIMEOUT does the work and loses the answer."""
        fault = self._take_fault()
        if fault == "UNAVAILABLE":
            raise ProcessorError("simulated processor outage (HTTP 503)", timeout=False)
        result = work()
        if self.crash_after_call:
            # Crash-safety testing: the processor has acted, Flint has not recorded it yet.
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "TIMEOUT":
            raise ProcessorError("simulated processor timeout", timeout=True)
        return result

    # -- charges --------------------------------------------------------------------------------------
    def _result(self, charge: SimulatedCharge) -> ChargeResult:
        failure = None
        if charge.status == ChargeStatus.FAILED.value:
            failure = AUTHENTICATION_FAILED if charge.authentication == "failed" else DECLINES[charge.behavior]
        next_action = f"/simulator/3ds/{charge.reference}" if charge.status == "REQUIRES_ACTION" else None
        return ChargeResult(ChargeStatus(charge.status), charge.reference, charge.amount, charge.amount_captured,
                            failure, next_action)

    def _settled_status(self, charge: SimulatedCharge) -> str:
        return ChargeStatus.SUCCEEDED.value if charge.capture else ChargeStatus.REQUIRES_CAPTURE.value

    def authorize(self, *, key: str, amount: int, currency: str, source: CardSource, capture: bool,
                  description: str, return_url: str | None = None, off_session: bool = False) -> ChargeResult:
        def work() -> ChargeResult:
            card = BY_TOKEN.get(source.token)
            behavior = "succeed" if card is None else card.off_session_behavior if off_session else card.behavior
            try:
                with self.db.transaction() as session:
                    charge = session.get(SimulatedCharge, key)
                    if charge is None:
                        charge = SimulatedCharge(key=key, reference=ids.new_id("payment_intent").replace("pi_", "ch_sim_"),
                                                 env_id=self.env_id, behavior=behavior, capture=capture,
                                                 status="", amount=amount, amount_captured=0, currency=currency,
                                                 created_at=_now())
                        if behavior in DECLINES:
                            charge.status = ChargeStatus.FAILED.value
                        elif behavior == "requires_3ds":
                            charge.status = ChargeStatus.REQUIRES_ACTION.value
                        else:
                            charge.status = self._settled_status(charge)
                            charge.amount_captured = amount if capture else 0
                        session.add(charge)
                    return self._result(charge)
            except IntegrityError:  # the same key arrived concurrently: the first one's answer stands
                return self.lookup(key=key) or self._missing(key)

        return self._call(work)

    def lookup(self, *, key: str) -> ChargeResult | None:
        with self.db.transaction(write=False) as session:
            charge = session.get(SimulatedCharge, key)
            return None if charge is None else self._result(charge)

    def _missing(self, reference: str) -> ChargeResult:
        raise ProcessorError(f"no simulated charge {reference}", timeout=False)

    def _charge_op(self, key: str, reference: str, kind: str, change) -> ChargeResult:  # type: ignore[no-untyped-def]
        """Apply ``change`` to the charge once per key; a repeated key returns the charge as it is."""
        def work() -> ChargeResult:
            with self.db.transaction() as session:
                charge = session.scalar(select(SimulatedCharge).where(SimulatedCharge.reference == reference)
                                        .with_for_update())
                if charge is None:
                    return self._missing(reference)
                if session.get(SimulatedOperation, key) is None:
                    change(charge)
                    session.add(SimulatedOperation(key=key, reference=f"{kind}_{ids.new_id('transaction')}",
                                                   charge_reference=reference, kind=kind, amount=charge.amount_captured,
                                                   status="SUCCEEDED", polls=0, created_at=_now()))
                return self._result(charge)

        return self._call(work)

    def confirm(self, *, key: str, reference: str) -> ChargeResult:
        def change(charge: SimulatedCharge) -> None:
            if charge.status == ChargeStatus.REQUIRES_ACTION.value and charge.authentication == "passed":
                charge.status = self._settled_status(charge)
                charge.amount_captured = charge.amount if charge.capture else 0
            elif charge.status == ChargeStatus.REQUIRES_ACTION.value and charge.authentication == "failed":
                charge.status = ChargeStatus.FAILED.value

        with self.db.transaction(write=False) as session:  # not authenticated yet: nothing to record
            charge = session.scalar(select(SimulatedCharge).where(SimulatedCharge.reference == reference))
            if charge is not None and charge.status == "REQUIRES_ACTION" and charge.authentication is None:
                return self._result(charge)
        return self._charge_op(key, reference, "confirm", change)

    def capture(self, *, key: str, reference: str, amount: int) -> ChargeResult:
        def change(charge: SimulatedCharge) -> None:
            if charge.status == ChargeStatus.REQUIRES_CAPTURE.value:
                charge.amount_captured = min(amount, charge.amount)
                charge.status = ChargeStatus.SUCCEEDED.value

        return self._charge_op(key, reference, "capture", change)

    def void(self, *, key: str, reference: str) -> ChargeResult:
        def change(charge: SimulatedCharge) -> None:
            if charge.status in (ChargeStatus.REQUIRES_CAPTURE.value, ChargeStatus.REQUIRES_ACTION.value):
                charge.status = ChargeStatus.CANCELED.value

        return self._charge_op(key, reference, "void", change)

    # -- saved cards ----------------------------------------------------------------------------------
    def setup(self, *, key: str, source: CardSource, customer_key: str, return_url: str | None = None
              ) -> SetupResult:
        def work() -> SetupResult:
            card = BY_TOKEN.get(source.token)
            behavior = card.setup_behavior if card else "succeed"
            try:
                with self.db.transaction() as session:
                    setup = session.get(SimulatedSetup, key)
                    if setup is None:
                        status = {"succeed": SetupStatus.SUCCEEDED, "requires_3ds": SetupStatus.REQUIRES_ACTION
                                  }.get(behavior, SetupStatus.FAILED)
                        setup = SimulatedSetup(key=key, reference=ids.new_id("transaction").replace("txn_", "seti_sim_"),
                                               env_id=self.env_id, token=source.token, brand=source.brand,
                                               last4=source.last4, status=status.value, created_at=_now())
                        session.add(setup)
                    return self._setup_result(setup)
            except IntegrityError:  # the same key arrived concurrently: the first one's answer stands
                return self._existing_setup(key)

        return self._call(work)

    def _existing_setup(self, key: str) -> SetupResult:
        with self.db.transaction(write=False) as session:
            setup = session.get(SimulatedSetup, key)
            if setup is None:
                raise ProcessorError(f"no simulated setup {key}", timeout=False)
            return self._setup_result(setup)

    def _setup_result(self, setup: SimulatedSetup) -> SetupResult:
        status = SetupStatus(setup.status)
        card = self.describe(source=CardSource(setup.token, setup.brand, setup.last4))
        failure = None
        if status is SetupStatus.FAILED:
            behavior = BY_TOKEN[setup.token].behavior if setup.token in BY_TOKEN else "generic_decline"
            failure = AUTHENTICATION_FAILED if setup.authentication == "failed" else DECLINES.get(
                behavior, DECLINES["generic_decline"])
        return SetupResult(status, setup.reference, card if status is SetupStatus.SUCCEEDED else None, failure,
                           f"/simulator/3ds/{setup.reference}" if status is SetupStatus.REQUIRES_ACTION else None)

    def _setup_op(self, reference: str, change) -> SetupResult:  # type: ignore[no-untyped-def]
        """Move a setup on by ``change`` (a state change: repeating it changes nothing more)."""
        def work() -> SetupResult:
            with self.db.transaction() as session:
                setup = session.scalar(select(SimulatedSetup).where(SimulatedSetup.reference == reference)
                                       .with_for_update())
                if setup is None:
                    raise ProcessorError(f"no simulated setup {reference}", timeout=False)
                change(setup)
                return self._setup_result(setup)

        return self._call(work)

    def confirm_setup(self, *, key: str, reference: str) -> SetupResult:
        def change(setup: SimulatedSetup) -> None:
            if setup.status == SetupStatus.REQUIRES_ACTION.value and setup.authentication is not None:
                passed = setup.authentication == "passed"
                setup.status = (SetupStatus.SUCCEEDED if passed else SetupStatus.FAILED).value

        return self._setup_op(reference, change)

    def cancel_setup(self, *, key: str, reference: str) -> SetupResult:
        def change(setup: SimulatedSetup) -> None:
            if setup.status == SetupStatus.REQUIRES_ACTION.value:
                setup.status = SetupStatus.CANCELED.value

        return self._setup_op(reference, change)

    def describe(self, *, source: CardSource) -> CardDetails:
        """Test cards are described deterministically: the fingerprint is a hash of the card (its test
        number; for another valid number, its last four digits), expiry 12/2034, a US credit card."""
        card = BY_TOKEN.get(source.token)
        seed = card.number if card else source.token
        return CardDetails(reference=source.token, brand=source.brand or (card.brand if card else "unknown"),
                           last4=source.last4 or (card.number[-4:] if card else "0000"), exp_month=12, exp_year=2034,
                           funding="credit", country="US",
                           fingerprint=hashlib.sha256(f"flint-sim:{seed}".encode()).hexdigest()[:16])

    def detach(self, *, key: str, reference: str) -> None:
        """The simulator keeps no saved cards of its own: Flint refuses to charge a detached one."""
        self._call(lambda: None)

    # -- refunds --------------------------------------------------------------------------------------
    def refund(self, *, key: str, reference: str, amount: int) -> RefundResult:
        def work() -> RefundResult:
            with self.db.transaction() as session:
                op = session.get(SimulatedOperation, key)
                if op is None:
                    charge = session.scalar(select(SimulatedCharge).where(SimulatedCharge.reference == reference))
                    if charge is None:
                        raise ProcessorError(f"no simulated charge {reference}", timeout=False)
                    status = "PENDING" if charge.behavior == "refund_fails" else "SUCCEEDED"
                    op = SimulatedOperation(key=key, reference=ids.new_id("refund").replace("re_", "re_sim_"),
                                            charge_reference=reference, kind="refund", amount=amount, status=status,
                                            polls=0, created_at=_now())
                    session.add(op)
                return RefundResult(RefundOutcome(op.status), op.reference, self._refund_failure(op))

        return self._call(work)

    @staticmethod
    def _refund_failure(op: SimulatedOperation) -> str | None:
        return "The card issuer rejected the refund (simulated refund failure)." if op.status == "FAILED" else None

    def refund_status(self, *, reference: str) -> RefundResult:
        """Pending refunds settle on the first poll: the refund-failure card's refunds fail then."""
        with self.db.transaction() as session:
            op = session.scalar(select(SimulatedOperation).where(SimulatedOperation.reference == reference)
                                .with_for_update())
            if op is None:
                raise ProcessorError(f"no simulated refund {reference}", timeout=False)
            if op.status == "PENDING":
                op.polls += 1
                op.status = "FAILED"
            return RefundResult(RefundOutcome(op.status), op.reference, self._refund_failure(op))


def authenticate(db: Database, reference: str, *, passed: bool) -> bool:
    """The customer's answer on the simulated 3D Secure page; False if no charge or setup awaits one."""
    if has_control_character(reference):
        return False
    model = SimulatedSetup if reference.startswith("seti_sim_") else SimulatedCharge
    with db.transaction() as session:
        waiting = session.scalar(select(model).where(model.reference == reference).with_for_update())
        if waiting is None or waiting.status != "REQUIRES_ACTION" or waiting.authentication:
            return False
        waiting.authentication = "passed" if passed else "failed"
        return True


def set_faults(session: Session, env_id: str, mode: str | None, count: int) -> SimulatorFault | None:
    """Make the next ``count`` mutating calls in ``env_id`` fail with ``mode`` (None clears)."""
    fault = session.get(SimulatorFault, env_id, with_for_update=True)
    if mode is None or count == 0:
        if fault is not None:
            session.delete(fault)
        return None
    if fault is None:
        fault = SimulatorFault(env_id=env_id, mode=mode, remaining=count)
        session.add(fault)
    else:
        fault.mode, fault.remaining = mode, count
    return fault
