$PPTAP --help
