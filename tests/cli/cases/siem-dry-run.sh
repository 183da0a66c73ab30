unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
export PPTAP_NOW=2026-03-04T12:00:00Z
# six hours: six one-hour windows
$PPTAP siem all --since 6h --dry-run
# a tail under 30 s is merged with the last hour, split in halves
$PPTAP siem clicks-permitted --from 2026-03-04T08:59:50Z --dry-run
# an hour and a half: an hour and the rest
$PPTAP siem issues --since 1h30m -n
# the raw selectors are one request each
$PPTAP siem messages-blocked --since-seconds 300 -n
$PPTAP siem messages-delivered --interval PT30M/2026-03-04T11:00:00Z -n
$PPTAP siem clicks-blocked --since-time 2026-03-04T12:30:00+01:00 -n
