# A file that cannot be read: exit 66, after the files that can.
printf '{"id":"c-1","GUID":"G-1","eventType":"clicksPermitted"}\n' > ok.ndjson
$PPTAP normalize --format raw ok.ndjson ./missing.ndjson
