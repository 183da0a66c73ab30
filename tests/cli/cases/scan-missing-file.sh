$PPTAP decode --scan does-not-exist.txt
