# Bare events need --type; records that carry their type keep it.
printf '%s\n' '{"id":"c-1","GUID":"G-1"}' '{"id":"m-1","GUID":"G-2","eventType":"messagesDelivered"}' > bare.ndjson
$PPTAP normalize --format raw bare.ndjson
echo "exit $?"
$PPTAP normalize --format raw --type clicks-blocked bare.ndjson
