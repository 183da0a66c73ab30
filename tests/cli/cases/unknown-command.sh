$PPTAP frobnicate
