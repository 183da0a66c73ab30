# The fixture store: outcomes of loading the samples and the acme events
# (multi-recipient message, a click updated when its threat is cleared,
# re-emitted duplicates, an event without id, a line that is not JSON).
. "$CASES/search-fixture.inc"
cat load.out
