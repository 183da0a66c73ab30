unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
export PPTAP_NOW=2026-03-04T12:00:00Z
# the whole week: 168 windows, starting 5 min inside the 7-day limit
$PPTAP siem all --since 7d -n | sed -n "1p;\$p"
$PPTAP siem all --since 7d -n | wc -l
