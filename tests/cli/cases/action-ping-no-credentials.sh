# Ping without credentials fails in its own words ("Failed to connect ...")
# with the configuration's exit status.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG PPTAP_STATE PPTAP_LEDGER
echo '{}' | $PPTAP action ping
