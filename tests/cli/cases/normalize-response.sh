# A whole SIEM response, pretty-printed, from a file and (compact) from
# standard input: every event of every array, in order; an empty array and
# queryEndTime give nothing.
cat > response.json <<'EOF'
{
  "queryEndTime": "2026-01-10T06:00:00Z",
  "clicksPermitted": [
    {
      "id": "c-1",
      "GUID": "G-1",
      "clickTime": "2026-01-10T05:10:00.000Z",
      "url": "https://example.com/a%20b?x=1"
    },
    {"id": "c-2", "GUID": "G-2", "clickTime": "2026-01-10T05:20:00.000Z"}
  ],
  "clicksBlocked": [],
  "messagesDelivered": [
    {"id": "m-1", "GUID": "G-3", "messageTime": "2026-01-10T05:00:00.000Z",
     "recipient": ["r@example.com"], "subject": "Caf\u00e9 \ud83d\udcce"}
  ]
}
EOF
$PPTAP normalize --format raw response.json
tr -d '\n' < response.json | $PPTAP normalize --format raw -
