unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG PPTAP_STATE PPTAP_LEDGER
printf '{"parameters": {"Campaign ID": "x",}}' > req.json
$PPTAP action get-campaign --input req.json
