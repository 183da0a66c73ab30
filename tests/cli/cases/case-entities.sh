unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG PPTAP_STATE PPTAP_LEDGER
export PPTAP_NOW=2026-03-04T12:00:00Z
$PPTAP case add-entity 5 destinationurl https://Example.com/A --state st.db --property OriginalIdentifier=https://Example.com/A --property n=3
$PPTAP case add-entity 5 URL https://example.com/a --state st.db
$PPTAP case show 5 --state st.db
$PPTAP case show 5 --state st.db --json
$PPTAP case list --state st.db
$PPTAP case show 5 --state missing.db
