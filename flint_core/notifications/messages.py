"""What each notification says: its subject and its body, as plain text and as HTML, rendered from the
objects exactly as the API shows them (the order, the payment intent, the refund). Pure.

A card is only ever shown by its brand and last four digits: a notification never carries a card number,
a CVC or a payment token, whatever the payment was made with.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flint_core.kernel.money import Money

BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover",
          "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Card:
    brand: str | None
    last4: str | None

    @classmethod
    def of(cls, payment_method: dict[str, Any] | None) -> Card | None:
        """Brand and last four digits of a payment's ``payment_method``, and nothing else of it (its token
        stays out); None when the last four digits are unknown."""
        last4 = (payment_method or {}).get("last4")
        if not isinstance(last4, str) or not (len(last4) == 4 and last4.isdigit()):
            return None
        brand = (payment_method or {}).get("brand")
        return cls(brand if isinstance(brand, str) else None, last4)

    def describe(self) -> str:
        brand = BRANDS.get((self.brand or "").lower(), (self.brand or "Card").strip().title() or "Card")
        return f"{brand} ending in {self.last4}"


@dataclass(frozen=True, slots=True)
class Document:
    """A message's content, before it is rendered twice (text and HTML) from the same rows."""

    subject: str
    heading: str
    intro: str
    facts: list[tuple[str, str]]  # label, value
    lines: list[tuple[str, str]]  # what was sold or refunded: label, amount
    totals: list[tuple[str, str]]
    footer: str


def one_line(text: str) -> str:
    """Text for a header or a heading: its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def money(value: dict[str, Any]) -> str:
    return Money(value["amount"], value["currency"]).format()


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def line_label(line: dict[str, Any], quantity: int) -> str:
    name = one_line(line["name"]) + (f" ({one_line(line['variation_name'])})" if line.get("variation_name") else "")
    return f"{name} x {quantity}"


def order_totals(order: dict[str, Any]) -> list[tuple[str, str]]:
    """The order's pricing amounts, the zero ones left out (subtotal and total always shown)."""
    amounts = order["pricing_amounts"]
    included = amounts["inclusive_tax_money"]["amount"] > 0
    rows = [("Subtotal", amounts["subtotal_money"])]
    if amounts["discount_money"]["amount"]:
        rows.append(("Discount", {**amounts["discount_money"], "amount": -amounts["discount_money"]["amount"]}))
    for label, key in (("Service charges", "service_charge_money"), ("Tax (included)" if included else "Tax",
                                                                     "tax_money"), ("Tip", "tip_money")):
        if amounts[key]["amount"]:
            rows.append((label, amounts[key]))
    rows.append(("Total", amounts["total_money"]))
    return [(label, money(value)) for label, value in rows]


def payment_receipt(merchant: str, order: dict[str, Any], payment: dict[str, Any], card: Card | None,
                    paid_at: datetime) -> Message:
    """The receipt of a payment that collected money: what it collected, with what, for which order."""
    shop = one_line(merchant)
    facts = [("Amount paid", money(payment["amount_captured_money"])), ("Date", when(paid_at))]
    if card is not None:
        facts.append(("Paid with", card.describe()))
    outstanding = order["settlement_amounts"]["outstanding_money"]
    if outstanding["amount"] > 0:
        facts.append(("Still to pay", money(outstanding)))
    facts += [("Order", order["order_id"]), ("Payment", payment["payment_intent_id"])]
    lines = [(line_label(li, li["quantity"]), money(li["total_money"])) for li in order["line_items"]]
    return render(Document(subject=f"Your receipt from {shop}", heading=f"Receipt from {shop}",
                           intro=f"Thank you for your payment to {shop}.", facts=facts, lines=lines,
                           totals=order_totals(order), footer=f"Questions? Reply to this email to reach {shop}."))


def refund_confirmation(merchant: str, order: dict[str, Any], refund: dict[str, Any], card: Card | None,
                        refunded_at: datetime) -> Message:
    """The confirmation of a refund that succeeded: how much goes back, to which card, for what."""
    shop = one_line(merchant)
    to = f" to your {card.describe()}" if card is not None else ""
    facts = [("Amount refunded", money(refund["amount_money"])), ("Tax part", money(refund["tax_money"])),
             ("Date", when(refunded_at))]
    if card is not None:
        facts.append(("Refunded to", card.describe()))
    facts += [("Order", order["order_id"]), ("Refund", refund["refund_id"])]
    names = {li["line_item_id"]: li for li in order["line_items"]}
    lines = [(line_label(names[li["line_item_id"]], li["quantity"]) if li["line_item_id"] in names
              else f"Line {li['line_item_id']} x {li['quantity']}", money(li["amount_money"]))
             for li in refund["line_items"]]
    totals = [("Refunded on this order so far", money(order["settlement_amounts"]["refunded_money"]))]
    return render(Document(subject=f"Your refund from {shop}", heading=f"Refund from {shop}",
                           intro=f"{shop} refunded {money(refund['amount_money'])}{to}. It can take a few days "
                                 "to appear on your statement.", facts=facts, lines=lines, totals=totals,
                           footer=f"Questions? Reply to this email to reach {shop}."))


def render(doc: Document) -> Message:
    return Message(subject=doc.subject, text=render_text(doc), html=render_html(doc))


def _table_text(rows: Sequence[tuple[str, str]], aligned_with: Sequence[tuple[str, str]] = (), *,
                amounts: bool = False) -> list[str]:
    """Labels padded to one column; with ``amounts``, values right-aligned, over ``aligned_with``'s rows too."""
    both = [*rows, *aligned_with]
    label_width = max((len(label) for label, _ in both), default=0)
    value_width = max((len(value) for _, value in both), default=0) if amounts else 0
    return [f"  {label.ljust(label_width)}  {value.rjust(value_width)}" for label, value in rows]


def render_text(doc: Document) -> str:
    parts = [doc.heading, "", doc.intro, "", *_table_text(doc.facts)]
    if doc.lines:  # what was sold and the totals line up, as on a till receipt
        parts += ["", *_table_text(doc.lines, doc.totals, amounts=True)]
    parts += ["", *_table_text(doc.totals, doc.lines, amounts=True), "", doc.footer]
    return "\n".join(parts) + "\n"


def _table_html(rows: list[tuple[str, str]], *, bold_last: bool = False) -> str:
    cells = []
    for i, (label, value) in enumerate(rows):
        weight = "font-weight:bold;" if bold_last and i == len(rows) - 1 else ""
        cells.append(f'<tr><td style="padding:2px 16px 2px 0;{weight}">{html.escape(label)}</td>'
                     f'<td style="padding:2px 0;text-align:right;{weight}">{html.escape(value)}</td></tr>')
    return f'<table style="border-collapse:collapse;margin:12px 0">{"".join(cells)}</table>'


def render_html(doc: Document) -> str:
    body = [f"<h1 style=\"font-size:20px\">{html.escape(doc.heading)}</h1>", f"<p>{html.escape(doc.intro)}</p>",
            _table_html(doc.facts)]
    if doc.lines:
        body.append(_table_html(doc.lines))
    body += [_table_html(doc.totals, bold_last=True), f"<p>{html.escape(doc.footer)}</p>"]
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.escape(doc.subject) +
            "</title></head>\n<body style=\"font-family:sans-serif;color:#222\">\n" + "\n".join(body) +
            "\n</body></html>\n")
