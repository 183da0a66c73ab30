# pptap collect --check on a valid file: exit 0 and a summary.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
cat > pptap.conf <<'CONF'
# two tenants, two outputs
[service]
state = ./state.db
metrics = 127.0.0.1:9464
early_interval = 5m

[tenant acme]
principal = acme-principal
secret_env = ACME_SECRET
since = 7d
outputs = archive

[tenant "beta"]
principal = beta-principal
secret_file = ./beta.secret
outputs = archive, out

[output archive]
type = file
path = ./events.ndjson
rotate_size = 100M
rotate_keep = 3

[output out]
type = stdout
CONF
$PPTAP collect --config pptap.conf --check
