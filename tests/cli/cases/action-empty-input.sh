# An empty request (no input at all, or only white space) is "no input": 66.
# A request that is not JSON is bad data: 65 (action-bad-json).
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG PPTAP_STATE PPTAP_LEDGER
$PPTAP action ping </dev/null
echo "rc $?"
printf ' \n\t\n' >blank.json
$PPTAP action ping --input blank.json
