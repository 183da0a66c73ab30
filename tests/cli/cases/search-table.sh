# --table: one readable row per event, the count on stderr.
. "$CASES/search-fixture.inc"
$PPTAP search --state state.db --tenant acme --table
