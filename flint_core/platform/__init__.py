"""How any operation runs, whatever its domain: settings, context, registry, runtime, auth, limits,
previews, idempotency, rate limits, request logs, the job queue, the event outbox, schemas and tool
formats. Never imports a domain."""
