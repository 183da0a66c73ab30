# An unknown key: exit 78, the message names the file, the line and the key.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
printf '[service]\nstate = ./state.db\n\n[tenant acme]\nprincipal = p\nsecret_env = S\nrotate_size = 1M\n\n[output o]\ntype = stdout\n' > pptap.conf
$PPTAP collect --config pptap.conf --check
