$PPTAP decode --scan "$CASES/scan-input.txt" --rewrite
