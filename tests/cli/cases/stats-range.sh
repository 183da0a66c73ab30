# A time range on the event time: [from, to).
. "$CASES/search-fixture.inc"
$PPTAP stats --state state.db --tenant acme --from 2025-03-04 --to 2025-03-05T00:00:00Z --json
$PPTAP stats --state state.db --from 3d --json
