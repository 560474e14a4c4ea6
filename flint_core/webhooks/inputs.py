"""What webhook operations accept: endpoints (URL, event types, status), deliveries to list, an event to redeliver."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, StrictInt

from flint_core.platform import outbox
from flint_core.platform.schema import WS, Input, ListInput, Metadata, lenient_enum, openapi_only
from flint_core.webhooks.lifecycle import WebhookDeliveryStatus, WebhookEndpointStatus
from flint_core.webhooks.rules import ALL_EVENTS

StatusIn = lenient_enum(WebhookEndpointStatus, "ENABLED (deliveries are sent) or DISABLED (nothing is sent; new "
                                               "events are not queued for it).")


DeliveryStatusIn = lenient_enum(WebhookDeliveryStatus, "PENDING (queued or waiting to retry), SUCCEEDED (a 2xx "
                                                       "answer) or FAILED (gave up).")


MAX_GRACE = timedelta(hours=24)


# check_url in test mode (the document's keys are test keys): http(s), a host, no spaces, no #fragment. Live
# mode also needs https and a public host, which a request refused for it is told (400 parameter_invalid).
WEBHOOK_URL_PATTERN = (f"^{WS}[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{{1,4}})?"
                       f"([/?][^#\\s\\x00-\\x1f\\x7f-\\x9f]*)?{WS}$")
# check_events: types from the catalog, or ["*"] alone
EVENT_TYPES = outbox.event_types()  # every domain's, in reading order (the enum below is published)
EVENT_TYPE_ITEMS = openapi_only(items={"type": "string", "enum": [*EVENT_TYPES, ALL_EVENTS]},
                                anyOf=[{"maxItems": 1}, {"items": {"enum": list(EVENT_TYPES)}}])
Url = Field(min_length=1, max_length=2048, json_schema_extra=openapi_only(pattern=WEBHOOK_URL_PATTERN), description="HTTPS URL that receives the POSTs. Test mode also accepts "
                                                       "http://, e.g. http://127.0.0.1:4242/webhooks for a local "
                                                       "receiver; live mode needs https:// and a public host.")
Events = Field(min_length=1, max_length=100, json_schema_extra=EVENT_TYPE_ITEMS, description="Event types to deliver, e.g. [\"order.paid\", "
                                                         "\"refund.succeeded\"], or [\"*\"] for every type "
                                                         "(see /docs/events for the catalog).")


class CreateWebhookEndpointInput(Input):
    url: str = Url
    enabled_events: list[str] = Events
    description: str | None = Field(None, max_length=500, description="Your note, e.g. `fulfilment service`.")
    metadata: Metadata = Field(default_factory=dict)


class ListWebhookEndpointsInput(ListInput):
    status: StatusIn | None = Field(None, description="Only endpoints with this status: ENABLED or DISABLED.")


class GetWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")


class UpdateWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")
    url: str | None = Field(None, min_length=1, max_length=2048, description="New URL (same rules as on create).",
                            json_schema_extra=openapi_only(pattern=WEBHOOK_URL_PATTERN))
    enabled_events: list[str] | None = Field(None, min_length=1, max_length=100, json_schema_extra=EVENT_TYPE_ITEMS,
                                             description="Replaces the subscribed types: event types, or [\"*\"].")
    description: str | None = Field(None, max_length=500, description="New note; an empty string removes it.")
    metadata: Metadata = Field(default_factory=dict, description="Keys to set (up to 50; keys up to 40 "
                                                                 "characters, values up to 500); an empty string "
                                                                 "value deletes a key.")
    status: StatusIn | None = Field(None, description="DISABLED stops deliveries; ENABLED resumes them and clears "
                                                      "`failing_since` and `disabled_reason`.")


class DeleteWebhookEndpointInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint to delete, `we_...`.")


class RollWebhookEndpointSecretInput(Input):
    webhook_endpoint_id: str = Field(description="Id of the endpoint, `we_...`.")
    grace_period_seconds: StrictInt = Field(int(MAX_GRACE.total_seconds()), ge=0, le=int(MAX_GRACE.total_seconds()),
                                      description="How long deliveries stay signed with the old secret too "
                                                  "(0 to 86400 seconds, default 86400 = 24 h; 0 retires it now).")


class ListWebhookDeliveriesInput(ListInput):
    webhook_endpoint_id: str | None = Field(None, max_length=40, description="Only deliveries to this endpoint, "
                                                                             "`we_...` (deleted ones too).")
    event_id: str | None = Field(None, max_length=40, description="Only deliveries of this event, `evt_...`.")
    status: DeliveryStatusIn | None = Field(None, description="Only deliveries with this status: PENDING, "
                                                              "SUCCEEDED or FAILED.")


class RedeliverEventInput(Input):
    event_id: str = Field(description="The event to send again, `evt_...`.")
    webhook_endpoint_id: str | None = Field(None, max_length=40,
                                            description="Send only to this ENABLED endpoint, `we_...` (even if not "
                                                        "subscribed to the type). Default: every ENABLED endpoint "
                                                        "subscribed to the event's type.")
