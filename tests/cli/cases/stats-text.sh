# The readable summary of one tenant.
. "$CASES/search-fixture.inc"
$PPTAP stats --state state.db --tenant acme
