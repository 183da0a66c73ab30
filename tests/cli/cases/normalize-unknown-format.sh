# An unknown format or type: exit 64 before reading anything.
$PPTAP normalize --format xml </dev/null
echo "exit $?"
$PPTAP normalize --type clicks nothing.json
echo "exit $?"
$PPTAP normalize --bogus
