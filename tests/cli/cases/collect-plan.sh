# --plan: the daily cost, 312 requests a day per tenant at the defaults
# (an early pass every 5 min, one final window an hour); no credentials needed.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
printf '[tenant acme]\n\n[tenant beta]\nendpoint = clicks-permitted\nsince = 7d\n\n[output o]\ntype = stdout\n' > pptap.conf
$PPTAP collect --config pptap.conf --plan
printf '[service]\nearly_interval = 10m\nwindow = 30m\nbudget_share = 50\n[tenant acme]\n[output o]\ntype = stdout\n' > slow.conf
$PPTAP collect --config slow.conf --plan
