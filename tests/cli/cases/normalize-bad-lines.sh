# Bad records in the middle: each is reported with its line and skipped, the
# others are written, and the exit status is 65.
printf '%s\n' \
  '{"id":"c-1","GUID":"G-1","eventType":"clicksPermitted"}' \
  '{"id":"c-2","GUID": oops}' \
  '{"id":"c-3","GUID":"G-3","eventType":"clicksPermitted"}' \
  '{"id":"c-4","GUID":"G-4","eventType":"clicksSomething"}' \
  'clicksPermitted c-5' \
  '{"id":"c-6","GUID":"G-6","eventType":"clicksPermitted","url":"https://cut' \
  '{"id":"c-7","GUID":"G-7","eventType":"clicksPermitted","recipient":["a@x"' \
  '{"id":"c-8","GUID":"G-8","eventType":"clicksPermitted"}' \
  '{"eventType":"clicksPermitted","clickTime":"2026-01-10T05:10:00.000Z"}' \
  '{"id":"c-10","GUID":"G-10"}' \
  '{"id":"c-11","GUID":"G-11","eventType":"clicksPermitted"}' > events.ndjson
$PPTAP normalize --format raw events.ndjson
echo "exit $?" >&2
# a response with a malformed event: the events before it are written
printf '{"queryEndTime":"2026-01-10T06:00:00Z",\n"clicksBlocked":[{"id":"b-1","GUID":"G"},\n{"id":"b-2","GUID":tru}]}\n{"id":"b-3","GUID":"G","eventType":"clicksBlocked"}\n' |
  $PPTAP normalize --format raw
