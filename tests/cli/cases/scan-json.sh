$PPTAP decode --scan - --json < "$CASES/scan-input.txt"
