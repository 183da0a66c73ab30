# A clicked URL Defense v3 link and the message threat are found by the
# decoded URL, by the rewritten link itself, and by a substring.
. "$CASES/search-fixture.inc"
ids() { grep -o '"pptap":{"event_id":"[^"]*"' | cut -d'"' -f6 | tr '\n' ' '; echo; }
echo "decoded: $($PPTAP search --state state.db --url 'https://payroll-update.example/login?user=dana.lee&ref=mail' | ids)"
echo "link: $($PPTAP search --state state.db --url 'https://urldefense.com/v3/__https://payroll-update.example/login?user=dana.lee&ref=mail__;!bmJ_4NXy6BbE!KAFiCxnjgTau0KCsWzSPJ7Bk-JqSaWhxZBvKlu_oMtaMGX3i2yFoSkWZ2Pix$' | ids)"
echo "contains: $($PPTAP search --state state.db --url-contains payroll-update.example/login | ids)"
echo "prefix only: $($PPTAP search --state state.db --url https://payroll-update.example/ | ids)"
