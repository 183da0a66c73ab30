# A missing store is 66; bad arguments are 64.
$PPTAP stats --state no-such.db; echo "missing: $?"
$PPTAP stats; echo "no state: $?"
$PPTAP stats --state x.db --top 0; echo "top 0: $?"
$PPTAP stats --state x.db --to never; echo "bad time: $?"
