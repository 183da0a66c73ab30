$PPTAP decode --rewrite x
