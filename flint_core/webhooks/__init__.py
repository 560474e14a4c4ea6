"""Webhooks: signing (``signing``), the retry schedule (``schedule``) and the ``deliver_webhook`` job
(``delivery``, registered with the queue through ``queue.HANDLER_MODULES``). The operations that manage
endpoints and deliveries live in ``flint_core.operations.webhooks`` (views: ``webhook_views``); events and the outbox in
``flint_core.events``. Guide: docs/webhooks.md.
"""
