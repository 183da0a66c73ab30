$PPTAP decode --frobnicate
