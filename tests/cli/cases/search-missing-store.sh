$PPTAP search --state no-such.db --recipient a@example.com
