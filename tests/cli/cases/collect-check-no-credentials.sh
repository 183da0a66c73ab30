# A tenant without credentials is not a valid configuration to run with.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
printf '[tenant acme]\n\n[output o]\ntype = stdout\n' > a.conf
$PPTAP collect --config a.conf --check
echo "rc $?"
printf '[tenant acme]\nprincipal = p\n\n[output o]\ntype = stdout\n' > b.conf
$PPTAP collect --config b.conf --once
