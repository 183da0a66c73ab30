# Lines decoded in parallel give the same output, warnings (with their input
# numbers) and exit status as one thread: 8,000 mixed lines (1.5 MB, above the
# 1 MiB a read needs to be cut) with failures, CRLF, blanks, control bytes and
# bytes that are not UTF-8, from a file, with 1, 2, 3, 8 and the default
# number of threads, and through a pipe.
awk 'BEGIN {
    pad = "segment-abcdefghijklmnopqrstuvwxyz-0123456789_segment-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (i = 1; i <= 8000; i++) {
        k = i % 8;
        if (k == 0) l = "https://urldefense.com/v3/__https://example.com/" pad "/item/" i "__;!!abc!def$";
        else if (k == 1) l = "https://urldefense.proofpoint.com/v2/url?u=https-3A__example.com_" pad "_page-5Fx-3Fid-3D" i "&d=DwMFaQ&c=x&r=y&m=z&s=w&e=";
        else if (k == 2) l = "https://urldefense.proofpoint.com/v1/url?u=https://example.com/" pad "/a?b%3D" i "&k=abc%0A&r=xyz%0A&m=q%0A&s=0123";
        else if (k == 3) l = "  https://urldefense.us/v3/__https://example.org/" pad "/p/*" i "*__;w6k!!x!y$\r";
        else if (k == 4) l = "https://urldefense.com/v3/__https://e.com/" pad "/*a*b" i "__;CiA!!a!b$";
        else if (k == 5) l = "https://urldefense.proofpoint.com/v2/url?u=https-3A__e.com_" pad "_-FF-FE" i "&d=x";
        else if (k == 6) l = (i % 5 == 1) ? "not a link " i " " pad : "https://urldefense.com/v3/__https://example.net/" pad "/q?x=" i "__;!!o!s$";
        else if (i % 3 == 0) l = "\t";
        else if (i % 3 == 1) l = "https://urldefense.com/v9/__https://example.com/" pad "/" i;
        else l = "https://urldefense.com/v3/__https://x.com/" pad "/" i "/**__;QQ!x$";
        print l;
        if (i % 97 == 0) print "";
    }
    printf "https://urldefense.com/v3/__https://example.com/last__;!!a!b$";
}' > links
[ "$(wc -c < links)" -gt 1048576 ] || echo "input too small to be cut"

run() { # run NAME [ENV...]: decode links (text and JSON) into NAME.*
    name=$1
    shift
    env "$@" $PPTAP decode < links > $name.out 2> $name.err
    echo $? > $name.rc
    env "$@" $PPTAP decode --json < links > $name.json 2> $name.jerr
    echo $? >> $name.rc
}
run one PPTAP_THREADS=1
echo "one thread: $(wc -l < one.out) lines, $(wc -l < one.json) JSON objects," \
     "$(wc -l < one.err) warnings, exit $(cat one.rc | tr '\n' ' ')"
sed -n '1p;$p' one.err
for t in 2 3 8; do
    run t$t PPTAP_THREADS=$t
done
run auto
cat links | PPTAP_THREADS=2 $PPTAP decode > pipe.out 2> pipe.err
echo $? > pipe.rc
cat links | PPTAP_THREADS=2 $PPTAP decode --json > pipe.json 2> pipe.jerr
echo $? >> pipe.rc
for v in t2 t3 t8 auto pipe; do
    same=same
    for x in out err json jerr rc; do
        cmp -s one.$x $v.$x || same="differs ($x)"
    done
    echo "$v: $same"
done
