unset PPTAP_PRINCIPAL PPTAP_SECRET PPTAP_SECRET_FILE PPTAP_BASE_URL PPTAP_CONFIG
for c in decode siem campaign forensics threat people ping normalize action case mcp; do
    $PPTAP help $c > a || echo "help $c failed"
    $PPTAP $c --help > b || echo "$c --help failed"
    cmp -s a b || echo "$c: help differs"
    grep -q "^usage: pptap $c" a || echo "$c: no usage line"
done
$PPTAP campaign ids --help | head -1
$PPTAP people vap -h | head -1
$PPTAP threat summary --help | head -1
echo ok
