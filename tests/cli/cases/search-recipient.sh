# NDJSON: the event as stored plus the pptap envelope; recipient without case.
. "$CASES/search-fixture.inc"
$PPTAP search --state state.db --tenant acme --recipient DANA.LEE@example.com --json
