# Every long option in the --help of pptap and of each command below appears
# in the man page pptap(1). Add a command here with its section in pptap.1.
man="$ROOT/docs/pptap.1"
missing=0
sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z-]*' | sort -u > man-opts
: > all-opts
for cmd in decode siem campaign forensics threat people ping collect normalize search stats action case mcp; do
    $PPTAP $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u > help-opts
    for o in $(cat help-opts); do
        grep -qx -- "$o" man-opts || { echo "$cmd: $o missing from pptap.1"; missing=1; }
    done
    cat help-opts >> all-opts
done
$PPTAP --help | grep -o -- '--[a-z][a-z-]*' | sort -u > global-opts
for o in $(cat global-opts); do
    grep -qx -- "$o" man-opts || { echo "global: $o missing from pptap.1"; missing=1; }
done
echo "checked $(cat all-opts global-opts | wc -l) options"
exit $missing
