# A secret written in the file: exit 78, and the secret is not echoed.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
printf '[tenant acme]\nprincipal = p\nsecret = hunter2-very-secret\n\n[output o]\ntype = stdout\n' > pptap.conf
$PPTAP collect --config pptap.conf --check
