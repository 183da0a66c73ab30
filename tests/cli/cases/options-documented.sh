# Every long option in the --help of pptap and of each command appears in the
# man page pptap(1).
man="$ROOT/docs/pptap.1"
missing=0
for cmd in decode; do
    $PPTAP $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u > help-opts
    sed 's/\\-/-/g' "$man" | grep -o -- '--[a-z][a-z-]*' | sort -u > man-opts
    for o in $(cat help-opts); do
        grep -qx -- "$o" man-opts || { echo "$cmd: $o missing from pptap.1"; missing=1; }
    done
done
$PPTAP --help | grep -o -- '--[a-z][a-z-]*' | sort -u > global-opts
for o in $(cat global-opts); do
    grep -qx -- "$o" man-opts || { echo "global: $o missing from pptap.1"; missing=1; }
done
echo "checked $(cat help-opts global-opts | wc -l) options"
exit $missing
