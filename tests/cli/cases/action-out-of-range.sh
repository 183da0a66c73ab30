unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG PPTAP_STATE PPTAP_LEDGER
echo '{"parameters": {"Campaign ID": "x", "Max Forensics Evidence To Return": "0"}}' | $PPTAP action get-campaign
