unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
$PPTAP siem all --since 1h --threat-status active --threat-status gone
