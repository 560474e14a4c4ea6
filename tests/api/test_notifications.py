"""Notifications through the real ASGI app, and their delivery by the deliver_notification job to a real
SMTP server on 127.0.0.1 (aiosmtpd): a receipt is written with each payment that collects money
(automatic capture, a captured hold) and a confirmation with each refund that succeeds, in the event's
transaction, to the payment's, the order's or the customer's email; nothing else writes one; no card
number, CVC or token is ever in one; sandboxes store them SKIPPED until they opt in; the job sends them
as plain text and HTML with the merchant's Reply-To and a stable Message-ID, retries a 4xx, fails a 5xx
at once and gives up after its last retry; lists filter and page; other merchants and sandboxes see
nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from flint_core.notifications import jobs, messages, service, smtp
from flint_core.notifications.lifecycle import NotificationType
from flint_core.notifications.service import DELIVER_NOTIFICATION
from flint_core.platform import idempotency, queue
from flint_core.platform.context import utcnow
from flint_core.platform.settings import Settings, SmtpServer
from flint_core.refunds import jobs as refund_jobs
from flint_core.store.tables import LIVE, Activity, Job, Notification
from tests.api.helpers import new_order, new_session, pay, submit
from tests.conftest import WORKED_EXAMPLE, Api, signup, usd
from tests.smtp_server import Mailbox, smtp_server

Json = dict[str, Any]
BUYER = "buyer@example.com"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def box(mailbox: Mailbox) -> Mailbox:
    mailbox.script.clear()
    return mailbox


def sandbox_of(merchant: Json) -> str:
    return merchant["sandbox"]["sandbox_id"]


def opt_in(api: Api, merchant: Json, on: bool = True) -> Json:
    return api.ok("PATCH", f"/v1/sandboxes/{sandbox_of(merchant)}", {"email_delivery": on})


def notifications(api: Api, **params: Any) -> list[Json]:
    out, token = [], ""
    while True:
        page = api.ok("GET", "/v1/notifications", params=params | ({"page_token": token} if token else {}))
        out += page["data"]
        token = page["next_page_token"]
        if not token:
            return out


def paid(api: Api, body: Json = WORKED_EXAMPLE, source: str = "tok_visa", **extra: Any) -> tuple[Json, Json]:
    order = new_order(api, body)
    pi = pay(api, order["order_id"], source, **extra).json()
    assert pi["status"] == "SUCCEEDED", pi
    return order, pi


def receipt_of(api: Api, order: Json) -> Json:
    [receipt] = notifications(api, order_id=order["order_id"], type="PAYMENT_RECEIPT")
    return receipt


def deliver(db: Any, box: Mailbox | None, *, later: timedelta = timedelta(0)) -> int:
    """Run the mail job as a worker configured with ``box`` as its SMTP server (None: no SMTP server)."""
    settings = Settings(smtp_server=SmtpServer.parse(box.url) if box else None)
    return queue.drain(db, settings, kinds=[DELIVER_NOTIFICATION], now=utcnow() + later)


def job_of(db: Any, notification_id: str) -> Job | None:
    with db.transaction(write=False) as session:
        return session.scalar(select(Job).where(Job.dedupe_key == f"{DELIVER_NOTIFICATION}:{notification_id}"))


def copies(box: Mailbox, notification: Json) -> list[Any]:
    """What the server received of this notification (others' may arrive too: the job is global)."""
    return [r for r in list(box.received) if r.message["Message-ID"] == notification["message_id"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def error(response: Any, status: int, code: str, param: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code and (param is None or body["param"] == param), body


# --- what is written, and when -------------------------------------------------------------------------

def test_a_payment_collected_at_once_gets_its_receipt_in_the_same_transaction(api: Api, merchant: Json,
                                                                             db: Any) -> None:
    order, pi = paid(api, buyer_email=BUYER)
    receipt = receipt_of(api, order)
    assert receipt["notification_id"].startswith("ntf_") and receipt["object"] == "notification"
    assert receipt["message_id"] == f"<{receipt['notification_id']}@flint>"
    assert (receipt["to_address"], receipt["reply_to"]) == (BUYER, "owner@example.com")
    assert (receipt["order_id"], receipt["payment_intent_id"], receipt["refund_id"]) == (
        order["order_id"], pi["payment_intent_id"], None)
    assert receipt["subject"] == "Your receipt from Test shop"
    # the default sandbox has not opted in: stored, never delivered, no job
    assert receipt["status"] == "SKIPPED" and "has not opted in to email delivery" in receipt["skip_reason"]
    assert receipt["attempts"] == 0 and receipt["sent_at"] is None and receipt["livemode"] is False
    assert job_of(db, receipt["notification_id"]) is None
    # what the buyer reads: the amount, the card by brand and last 4, the lines and totals (13824 = 12800 + 8%)
    text, html = receipt["text_body"], receipt["html_body"]
    for shown in ("Amount paid  138.24 USD", "Paid with    Visa ending in 4242", f"Order        {order['order_id']}",
                  f"Payment      {pi['payment_intent_id']}", "Jacket x 1", "T-shirt x 1", "Subtotal", "128.00 USD",
                  "Tax", "10.24 USD", "Total", "Reply to this email to reach Test shop"):
        assert shown in text, shown
    for shown in ("138.24 USD", "Visa ending in 4242", "Jacket x 1", "10.24 USD", order["order_id"]):
        assert shown in html, shown
    assert "Still to pay" not in text and "Discount" not in text
    assert api.ok("GET", f"/v1/notifications/{receipt['notification_id']}") == receipt


def test_a_payment_rolled_back_leaves_no_receipt_and_its_resumption_writes_it(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """pay_order runs and charges, then storing its idempotent answer fails: the outcome, its events and
    its receipt roll back together; the payment left PROCESSING is resumed later, receipt and all."""
    order = new_order(api)
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "complete", lambda *a, **kw: False)
        lost = api.post(f"/v1/orders/{order['order_id']}/pay", {"payment_source": "tok_visa", "buyer_email": BUYER},
                        idempotency_key="ntf-rolled-back")
    assert lost.status_code == 409, lost.text
    assert notifications(api, order_id=order["order_id"]) == []
    [pi_id] = api.ok("GET", f"/v1/orders/{order['order_id']}")["payment_intent_ids"]
    assert api.ok("POST", f"/v1/payment_intents/{pi_id}/retry", {})["status"] == "SUCCEEDED"
    receipt = receipt_of(api, order)
    assert (receipt["payment_intent_id"], receipt["to_address"]) == (pi_id, BUYER)


def test_a_hold_gets_its_receipt_when_captured_never_when_authorized(api: Api) -> None:
    order = new_order(api)
    pi = pay(api, order["order_id"], "tok_mastercard", capture_method="MANUAL", buyer_email=BUYER).json()
    assert pi["status"] == "REQUIRES_CAPTURE"
    assert notifications(api, order_id=order["order_id"]) == []
    api.ok("POST", f"/v1/payment_intents/{pi['payment_intent_id']}/capture", {"amount_money": usd(10000)})
    receipt = receipt_of(api, order)
    assert receipt["payment_intent_id"] == pi["payment_intent_id"]
    # a partial capture: what was collected, and what the order still lacks (13824 - 10000)
    assert "Amount paid   100.00 USD" in receipt["text_body"] and "Still to pay  38.24 USD" in receipt["text_body"]
    assert "Mastercard ending in 4444" in receipt["text_body"]


def test_declines_challenges_and_voids_write_nothing(api: Api) -> None:
    order = new_order(api)
    assert pay(api, order["order_id"], "4000000000009995", buyer_email=BUYER).json()["status"] == "FAILED"
    challenged = pay(api, order["order_id"], "4000002500003155").json()
    assert challenged["status"] == "REQUIRES_ACTION"
    assert notifications(api, order_id=order["order_id"]) == []
    api.client.post(challenged["next_action"]["url"], data={"outcome": "pass"})
    api.ok("POST", f"/v1/payment_intents/{challenged['payment_intent_id']}/confirm", {})
    assert receipt_of(api, order)["payment_intent_id"] == challenged["payment_intent_id"]  # 3D Secure passed
    held = new_order(api)
    hold = pay(api, held["order_id"], "tok_visa", capture_method="MANUAL", buyer_email=BUYER).json()
    api.ok("POST", f"/v1/payment_intents/{hold['payment_intent_id']}/void", {})
    assert notifications(api, order_id=held["order_id"]) == []


def test_a_refund_that_succeeds_is_confirmed_and_one_that_fails_is_not(api: Api, db: Any) -> None:
    order, pi = paid(api, buyer_email=BUYER)
    shirt = next(li for li in order["line_items"] if li["name"] == "T-shirt")
    refund = api.ok("POST", "/v1/refunds", {"order_id": order["order_id"], "line_items": [
        {"line_item_id": shirt["line_item_id"], "quantity": 1}]})
    assert refund["status"] == "SUCCEEDED"
    [confirmation] = notifications(api, order_id=order["order_id"], type="REFUND_CONFIRMATION")
    assert (confirmation["refund_id"], confirmation["payment_intent_id"], confirmation["to_address"]) == (
        refund["refund_id"], pi["payment_intent_id"], BUYER)
    assert confirmation["subject"] == "Your refund from Test shop"
    text = confirmation["text_body"]
    amount = f"{refund['amount_money']['amount'] / 100:.2f} USD"  # 2900 + its 8% tax = 3132
    assert amount == "31.32 USD" and f"Amount refunded  {amount}" in text and "Visa ending in 4242" in text
    assert re.search(rf"T-shirt x 1 +{amount}", text) and f"Refund           {refund['refund_id']}" in text
    # a refund the processor fails, settled later by the job: no confirmation
    failing, _ = paid(api, source="4000000000005126", buyer_email=BUYER)
    pending = api.ok("POST", "/v1/refunds", {"order_id": failing["order_id"]})
    assert pending["status"] == "PENDING"
    queue.drain(db, kinds=[refund_jobs.SETTLE_REFUND], now=utcnow() + timedelta(minutes=1))
    assert api.ok("GET", f"/v1/refunds/{pending['refund_id']}")["status"] == "FAILED"
    assert [n["type"] for n in notifications(api, order_id=failing["order_id"])] == ["PAYMENT_RECEIPT"]


def test_the_recipient_is_the_payments_email_then_the_orders_then_the_customers(api: Api) -> None:
    order = new_order(api, WORKED_EXAMPLE | {"buyer_email": "order@example.com"})
    assert pay(api, order["order_id"], "tok_visa").json()["status"] == "SUCCEEDED"
    assert receipt_of(api, order)["to_address"] == "order@example.com"
    order = new_order(api, WORKED_EXAMPLE | {"buyer_email": "order@example.com"})
    pay(api, order["order_id"], "tok_visa", buyer_email="payer@example.com")
    assert receipt_of(api, order)["to_address"] == "payer@example.com"
    customer = api.ok("POST", "/v1/customers", {"name": "Ada", "email": "ada@example.com"})
    order, _ = paid(api, WORKED_EXAMPLE | {"customer_id": customer["customer_id"]})
    receipt = receipt_of(api, order)
    assert (receipt["to_address"], receipt["customer_id"]) == ("ada@example.com", customer["customer_id"])
    assert notifications(api, customer_id=customer["customer_id"]) == [receipt]
    # no address anywhere: no one to tell, nothing written
    order, _ = paid(api)
    assert notifications(api, order_id=order["order_id"]) == []


def test_no_card_number_cvc_or_token_is_ever_in_a_notification(api: Api, db: Any) -> None:
    typed, pi = paid(api, source="4242 4242 4242 4242", buyer_email=BUYER)
    assert pi["payment_method"]["token"] == "tok_visa"
    session = new_session(api)
    assert submit(api.client, session, "5555 5555 5555 4444", email=BUYER, cvc="7319").status_code == 303
    tokened, _ = paid(api, source="tok_amex", buyer_email=BUYER)
    refund = api.ok("POST", "/v1/refunds", {"order_id": typed["order_id"], "amount_money": usd(100)})
    assert refund["status"] == "SUCCEEDED"
    with db.transaction(write=False) as s:
        rows = s.scalars(select(Notification).where(Notification.order_id.in_(
            [typed["order_id"], session["order_id"], tokened["order_id"]]))).all()
    assert sorted(r.type for r in rows) == ["PAYMENT_RECEIPT"] * 3 + ["REFUND_CONFIRMATION"]
    for row in rows:
        stored = " ".join(str(getattr(row, c.key)) for c in Notification.__table__.columns)
        digits = re.sub(r"\D", "", stored)
        for secret in ("4242424242424242", "5555555555554444", "378282246310005", "7319"):
            assert secret not in digits and secret not in stored, (secret, row.notification_id)
        assert "tok_" not in stored  # no payment token, of any kind
    assert {"Visa ending in 4242", "Mastercard ending in 4444", "American Express ending in 0005"} <= {
        m for r in rows for m in re.findall(r"[A-Z][a-z]+(?: [A-Z][a-z]+)? ending in \d{4}", r.text_body)}


# --- sandboxes: stored always, delivered on opt-in ------------------------------------------------------

def test_update_sandbox_opts_in_and_out_and_is_audited(api: Api, merchant: Json, client: Any, db: Any) -> None:
    assert merchant["sandbox"]["email_delivery"] is False
    updated = opt_in(api, merchant)
    assert updated["email_delivery"] is True and updated["sandbox_id"] == sandbox_of(merchant)
    assert opt_in(api, merchant) == updated  # setting it again changes nothing
    renamed = api.ok("PATCH", f"/v1/sandboxes/{sandbox_of(merchant)}", {"name": "Evals", "email_delivery": False})
    assert (renamed["name"], renamed["email_delivery"]) == ("Evals", False)
    listed = api.ok("GET", "/v1/sandboxes")["data"]
    assert [(s["name"], s["email_delivery"]) for s in listed] == [("Evals", False)]
    with db.transaction(write=False) as session:
        audit = session.execute(select(Activity.type, Activity.delta).where(
            Activity.object_id == sandbox_of(merchant), Activity.type == "SANDBOX_UPDATED")
            .order_by(Activity.sequence)).all()
    assert [tuple(a) for a in audit] == [  # one activity per change; the repeated opt-in changed nothing
        ("SANDBOX_UPDATED", {"email_delivery": [False, True]}),
        ("SANDBOX_UPDATED", {"name": ["Default sandbox", "Evals"], "email_delivery": [True, False]})]
    error(api.patch(f"/v1/sandboxes/{sandbox_of(merchant)}", {"email_delivery": "yes"}), 400, "parameter_invalid",
          "email_delivery")
    other = api.ok("POST", "/v1/sandboxes", {"name": "mailing", "email_delivery": True})
    assert other["sandbox"]["email_delivery"] is True
    error(api.patch(f"/v1/sandboxes/{other['sandbox']['sandbox_id']}", {"email_delivery": False}), 404,
          "resource_missing", "sandbox_id")  # a key changes its own sandbox only
    reader = api.ok("POST", "/v1/api_keys", {"scopes": ["orders:read"]})["secret"]
    error(api.patch(f"/v1/sandboxes/{sandbox_of(merchant)}", {"email_delivery": True}, key=reader), 403,
          "missing_scope")
    stranger = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    error(stranger.patch(f"/v1/sandboxes/{sandbox_of(merchant)}", {"email_delivery": True}), 404, "resource_missing")


def test_an_opted_in_sandbox_queues_its_emails_and_opting_out_skips_those_still_queued(
        api: Api, merchant: Json, db: Any, box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    receipt = receipt_of(api, order)
    assert receipt["status"] == "QUEUED" and receipt["skip_reason"] is None and receipt["next_attempt_at"]
    assert job_of(db, receipt["notification_id"]) is not None
    opt_in(api, merchant, False)
    deliver(db, box)
    skipped = api.ok("GET", f"/v1/notifications/{receipt['notification_id']}")
    assert skipped["status"] == "SKIPPED" and "has not opted in" in skipped["skip_reason"]
    assert skipped["next_attempt_at"] is None and skipped["attempts"] == 0
    assert copies(box, receipt) == [] and job_of(db, receipt["notification_id"]) is None
    # a sandbox created opted in queues from its first payment
    created = api.ok("POST", "/v1/sandboxes", {"name": "mailing", "email_delivery": True})
    mailing = Api(api.client, created["api_key"]["secret"])
    order, _ = paid(mailing, buyer_email=BUYER)
    assert receipt_of(mailing, order)["status"] == "QUEUED"


def test_without_an_smtp_server_the_job_skips_the_email_saying_why(api: Api, merchant: Json, db: Any) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    deliver(db, None)
    receipt = receipt_of(api, order)
    assert receipt["status"] == "SKIPPED" and "FLINT_SMTP_URL" in receipt["skip_reason"]
    assert api.ok("GET", "/v1/events", params={"type": "notification.*"})["data"] == []


def test_a_reset_sandbox_takes_its_notifications_and_their_jobs_send_nothing(
        api: Api, merchant: Json, db: Any, box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    queued = receipt_of(api, order)
    reset = api.ok("POST", f"/v1/sandboxes/{sandbox_of(merchant)}/reset", {})
    assert reset["email_delivery"] is True  # the sandbox's settings survive, its data does not
    assert notifications(api) == []
    deliver(db, box)
    assert copies(box, queued) == [] and job_of(db, queued["notification_id"]) is None


def test_live_mode_always_queues_for_delivery(db: Any, merchant: Json) -> None:
    """queue_notification, the door the later domains (invoices) use, in live mode: no opt-in needed."""
    now = utcnow()
    with db.transaction() as session:
        sender = service.sender_of(session, merchant["merchant"]["merchant_id"])
        notification_id = service.queue_notification(
            session, merchant_id=merchant["merchant"]["merchant_id"], env_id=LIVE, now=now,
            kind=NotificationType.PAYMENT_RECEIPT, to_address=BUYER, sender=sender,
            message=messages.Message("Hello", "text", "<p>html</p>"))
    with db.transaction(write=False) as session:
        row = session.get(Notification, notification_id)
        assert row is not None and (row.status, row.skip_reason, row.reply_to) == ("QUEUED", None, "owner@example.com")
    job = job_of(db, notification_id)
    assert job is not None and job.payload == {"notification_id": notification_id}


# --- delivery over SMTP --------------------------------------------------------------------------------

def test_a_queued_receipt_is_sent_as_text_and_html_with_the_merchants_reply_to(
        api: Api, merchant: Json, db: Any, box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    queued = receipt_of(api, order)
    assert deliver(db, box) >= 1
    sent = api.ok("GET", f"/v1/notifications/{queued['notification_id']}")
    assert (sent["status"], sent["smtp_reply"], sent["attempts"]) == ("SENT", "250 OK", 1)
    assert sent["sent_at"] and sent["last_attempt_at"] and sent["next_attempt_at"] is None
    [copy] = copies(box, sent)
    assert (copy.mail_from, copy.rcpt_tos) == ("receipts@flint.invalid", [BUYER])
    mail = copy.message
    assert mail["From"] == "Test shop <receipts@flint.invalid>" and mail["To"] == BUYER
    assert mail["Reply-To"] == "owner@example.com" and mail["Subject"] == sent["subject"]
    assert mail["Message-ID"] == sent["message_id"] and mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    # the bodies as stored, with the CRLF line ends of the wire
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == sent["text_body"]
    assert mail.get_body(("html",)).get_content().replace("\r\n", "\n") == sent["html_body"]
    # its event: the notification as get_notification shows it, and what changed
    [event] = api.ok("GET", "/v1/events", params={"type": "notification.sent"})["data"]
    assert event["data"]["object"] == sent and event["request_id"] is None
    assert event["data"]["previous_attributes"]["status"] == "QUEUED"
    assert {"attempts", "smtp_reply", "sent_at", "last_attempt_at"} <= set(event["data"]["previous_attributes"])
    # the job is done: running the queue again sends nothing more
    deliver(db, box, later=timedelta(hours=12))
    assert len(copies(box, sent)) == 1


def test_a_4xx_is_tried_again_later_with_the_same_message_id(api: Api, merchant: Json, db: Any,
                                                            box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    box.script.append("451 4.3.0 Greylisted, try again later")
    deliver(db, box)
    waiting = receipt_of(api, order)
    assert (waiting["status"], waiting["attempts"]) == ("QUEUED", 1)
    assert waiting["smtp_reply"] == "451 4.3.0 Greylisted, try again later"
    wait = jobs.next_delay(1)
    assert wait == timedelta(minutes=1)
    assert abs(at(waiting["next_attempt_at"]) - at(waiting["last_attempt_at"]) - wait) < timedelta(seconds=1)
    deliver(db, box)  # not due yet
    assert len(copies(box, waiting)) == 1
    deliver(db, box, later=timedelta(minutes=2))
    sent = receipt_of(api, order)
    assert (sent["status"], sent["attempts"], sent["smtp_reply"]) == ("SENT", 2, "250 OK")
    first, second = copies(box, sent)
    assert first.message["Message-ID"] == second.message["Message-ID"] == sent["message_id"]
    assert first.raw == second.raw  # the same message, byte for byte


def test_the_last_failed_retry_ends_it_failed_with_the_last_reply(api: Api, merchant: Json, db: Any,
                                                                  box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    attempts = len(jobs.RETRY_DELAYS) + 1
    box.script.extend(f"421 4.4.2 busy ({n})" for n in range(1, attempts + 1))
    later = timedelta(0)
    for n in range(1, attempts + 1):
        deliver(db, box, later=later)
        state = receipt_of(api, order)
        assert (state["attempts"], state["smtp_reply"]) == (n, f"421 4.4.2 busy ({n})")
        if n < attempts:
            assert state["status"] == "QUEUED"
            later += jobs.RETRY_DELAYS[n - 1] * timedelta(seconds=1) + timedelta(seconds=1)
    failed = receipt_of(api, order)
    assert failed["status"] == "FAILED" and failed["next_attempt_at"] is None and failed["sent_at"] is None
    assert len(copies(box, failed)) == attempts and job_of(db, failed["notification_id"]) is None
    [event] = api.ok("GET", "/v1/events", params={"type": "notification.failed"})["data"]
    assert event["data"]["object"] == failed


def test_a_5xx_refusal_fails_at_once(api: Api, merchant: Json, db: Any, box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email="nobody@example.com")
    box.script.append("550 5.1.1 No such user")
    deliver(db, box)
    failed = receipt_of(api, order)
    assert (failed["status"], failed["attempts"], failed["smtp_reply"]) == ("FAILED", 1, "550 5.1.1 No such user")
    assert job_of(db, failed["notification_id"]) is None


def test_a_server_that_does_not_answer_is_tried_again(api: Api, merchant: Json, db: Any, box: Mailbox) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    with smtp_server() as gone:
        closed = gone.url
    queue.drain(db, Settings(smtp_server=SmtpServer.parse(closed)), kinds=[DELIVER_NOTIFICATION])
    waiting = receipt_of(api, order)
    assert waiting["status"] == "QUEUED" and waiting["smtp_reply"].startswith("CONNECT: ConnectionRefusedError")
    deliver(db, box, later=timedelta(minutes=2))
    assert receipt_of(api, order)["status"] == "SENT"


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
def test_the_smtp_url_logs_in_and_the_from_can_name_itself(api: Api, merchant: Json, db: Any) -> None:
    opt_in(api, merchant)
    order, _ = paid(api, buyer_email=BUYER)
    with smtp_server(login=("mailer", "s3cr:t")) as guarded:
        url = guarded.url.replace("s3cr:t", "s3cr%3At")
        settings = Settings.from_env({"FLINT_SMTP_URL": url, "FLINT_EMAIL_FROM": "Receipts <r@shop.example>"})
        queue.drain(db, settings, kinds=[DELIVER_NOTIFICATION])
        sent = receipt_of(api, order)
        assert sent["status"] == "SENT", sent["smtp_reply"]
        [copy] = copies(guarded, sent)
        assert copy.message["From"] == "Receipts <r@shop.example>" and copy.mail_from == "r@shop.example"


@pytest.mark.parametrize("reply, attempts_made, status", [
    (smtp.Reply(250, "2.0.0 Ok: queued", "DATA"), 1, "SENT"),
    (smtp.Reply(554, "5.7.1 Message rejected", "DATA"), 1, "FAILED"),
    (smtp.Reply(550, "5.1.1 No such user", "RCPT"), 1, "FAILED"),
    (smtp.Reply(553, "5.7.1 Sender not allowed", "MAIL"), 1, "FAILED"),
    (smtp.Reply(535, "5.7.8 Authentication failed", "LOGIN"), 1, "QUEUED"),  # the server's set-up: may be fixed
    (smtp.Reply(554, "5.3.2 Not accepting mail now", "CONNECT"), 1, "QUEUED"),
    (smtp.Reply(None, "SMTPServerDisconnected: Connection unexpectedly closed", "DATA"), 1, "QUEUED"),
    (smtp.Reply(451, "4.3.0 Try again later", "DATA"), len(jobs.RETRY_DELAYS), "QUEUED"),
    (smtp.Reply(451, "4.3.0 Try again later", "DATA"), len(jobs.RETRY_DELAYS) + 1, "FAILED"),
])
def test_what_a_reply_makes_of_a_notification(reply: smtp.Reply, attempts_made: int, status: str) -> None:
    now = utcnow()
    outcome = jobs.judge(reply, attempts_made, now)
    assert outcome.status == status and outcome.reply == reply.summary()
    assert (outcome.retry_at is not None) == (status == "QUEUED")
    if outcome.retry_at is not None:
        assert outcome.retry_at - now == timedelta(seconds=jobs.RETRY_DELAYS[attempts_made - 1])


# --- reading -------------------------------------------------------------------------------------------

def test_filters_and_pages(api: Api) -> None:
    customer = api.ok("POST", "/v1/customers", {"email": "ada@example.com"})
    first, _ = paid(api, WORKED_EXAMPLE | {"customer_id": customer["customer_id"]})
    second, _ = paid(api, buyer_email=BUYER)
    api.ok("POST", "/v1/refunds", {"order_id": second["order_id"], "amount_money": usd(500)})
    everything = notifications(api)
    assert [(n["type"], n["order_id"]) for n in everything] == [
        ("REFUND_CONFIRMATION", second["order_id"]), ("PAYMENT_RECEIPT", second["order_id"]),
        ("PAYMENT_RECEIPT", first["order_id"])]  # newest first

    def ids(**params: Any) -> list[str]:
        return [n["notification_id"] for n in notifications(api, **params)]

    assert ids(customer_id=customer["customer_id"]) == [everything[2]["notification_id"]]
    assert ids(order_id=second["order_id"]) == [n["notification_id"] for n in everything[:2]]
    assert ids(type="refund_confirmation") == [everything[0]["notification_id"]]
    assert ids(type="PAYMENT_RECEIPT", order_id=second["order_id"]) == [everything[1]["notification_id"]]
    assert ids(status="SKIPPED") == ids() and ids(status="sent") == []
    assert ids(order_by="created_at") == ids()[::-1]
    assert ids(page_size=1) == ids()
    page = api.ok("GET", "/v1/notifications", params={"page_size": 1, "type": "PAYMENT_RECEIPT"})
    assert page["next_page_token"]
    error(api.get("/v1/notifications", params={"page_size": 1, "page_token": page["next_page_token"]}), 400,
          "invalid_page_token", "page_token")
    error(api.get("/v1/notifications", params={"type": "INVOICE"}), 400, "parameter_invalid", "type")
    error(api.get("/v1/notifications", params={"status": "DELIVERED"}), 400, "parameter_invalid", "status")


def test_other_merchants_and_sandboxes_see_nothing(api: Api, client: Any) -> None:
    order, _ = paid(api, buyer_email=BUYER)
    receipt = receipt_of(api, order)
    stranger = Api(client, signup(client, "Other shop")["api_key"]["secret"])
    sandbox = Api(client, api.ok("POST", "/v1/sandboxes", {"name": "elsewhere"})["api_key"]["secret"])
    for other in (stranger, sandbox):
        error(other.get(f"/v1/notifications/{receipt['notification_id']}"), 404, "resource_missing",
              "notification_id")
        assert notifications(other) == [] and notifications(other, order_id=order["order_id"]) == []
    no_scope = api.ok("POST", "/v1/api_keys", {"scopes": ["customers:read"]})["secret"]
    error(api.get("/v1/notifications", key=no_scope), 403, "missing_scope")
