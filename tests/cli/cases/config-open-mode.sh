unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
printf "principal = p\nsecret = s\n" > pptap.conf
chmod 644 pptap.conf
$PPTAP --config pptap.conf ping
