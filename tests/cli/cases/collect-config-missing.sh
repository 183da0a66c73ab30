# A configuration file that cannot be read: exit 66.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
$PPTAP collect --config ./nonexistent.conf --check
