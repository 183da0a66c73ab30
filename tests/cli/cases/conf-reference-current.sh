# docs/pptap.conf.5 holds exactly what the key table generates.
sed -n '/^\.\\" BEGIN KEYS/,/^\.\\" END KEYS/p' "$ROOT/docs/pptap.conf.5" | sed '1d;$d' > documented
$PPTAP collect --config-reference > generated
if cmp -s documented generated; then
    echo "pptap.conf(5) is current ($(grep -c '^\.TP' generated) keys)"
else
    diff -u documented generated
    exit 1
fi
