# The JSON summary of every tenant, top 3.
. "$CASES/search-fixture.inc"
$PPTAP stats --state state.db --json --top 3
