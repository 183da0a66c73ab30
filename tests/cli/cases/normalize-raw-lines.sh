# Lines of the raw format, as the collector writes them: the envelope's
# event_id, tenant, collection time and update flag are kept, the envelope is
# not part of the event, and a gap record stays a gap record.
printf '%s\n' \
  '{"id":"m-2","GUID":"G-2","messageTime":"2026-01-10T05:00:00.000Z","recipient":["r@example.com"],"pptap":{"event_id":"m-2","event_type":"messagesDelivered","tenant":"acme","collected_at":"2026-01-10T05:40:00Z","update":true}}' \
  '{"pptap":{"event_id":"gap:acme:1767312000000:1767333600000","event_type":"gap","tenant":"acme","collected_at":"2026-01-10T05:40:00Z","update":false,"from":"2026-01-02T00:00:00Z","to":"2026-01-02T06:00:00Z","reason":"older than the API serves (7 days)"}}' \
  > collected.ndjson
$PPTAP normalize --format raw collected.ndjson
$PPTAP normalize --format ecs collected.ndjson
