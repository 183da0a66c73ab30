unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
$PPTAP decode --compare 'https://urldefense.com/v3/__https://x.com/__;!!a$'
