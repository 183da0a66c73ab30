# 'pptap help decode' is 'pptap decode --help'
$PPTAP help decode > a && $PPTAP decode --help > b && cmp a b && echo same
