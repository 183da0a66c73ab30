# Every filter, one line each: the event ids found, newest first.
. "$CASES/search-fixture.inc"
ids() { grep -o '"pptap":{"event_id":"[^"]*"' | cut -d'"' -f6 | tr '\n' ' '; echo; }
s() { printf '%s: ' "$*"; $PPTAP search --state state.db "$@" | ids; }
s --tenant acme
s --sender HR@payroll-update.example
s --sha256 2FAB740F143FC1AA4C1CD0146D334C5593B1428F6D062B2C406E5EFE8ABE95CA
s --threat-id 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
s --campaign-id camp-payroll
s --campaign-id 46x01x8x-x899-404x-xxx9-111xx393d1x7
s --guid GUID-PAYROLL
s --message-id '<20250304.4471@mailer.example.net>'
s --message-id 20250304.4471@mailer.example.net
s --type clicksPermitted --tenant acme
s --type messagesBlocked,clicksPermitted --tenant samples --limit 2
s --classification MALWARE
s --status cleared
s --tenant acme --from 2025-03-04 --to 2025-03-04T10:20:00Z
s --tenant acme --from 2025-03-04T10:20:00Z
s --to 2016-06-25
s --recipient nobody@example.com
