# Flags only, without credentials in the environment: exit 78, for a run and
# for --check alike, before anything is contacted.
unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
$PPTAP collect --base-url http://127.0.0.1:9 --state ./s.db --output - --once
echo "rc $?"
$PPTAP collect --base-url http://127.0.0.1:9 --state ./s.db --output - --check
echo "rc $?"
PPTAP_PRINCIPAL=p $PPTAP collect --base-url http://127.0.0.1:9 --state ./s.db --output - --once
echo "rc $?"
test -e s.db && echo "a store was created"
exit 0
