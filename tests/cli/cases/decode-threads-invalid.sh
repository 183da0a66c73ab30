# PPTAP_THREADS takes a number of threads from 1 to 8.
echo 'https://urldefense.com/v3/__https://example.com/__;!!a!b$' | PPTAP_THREADS=0 $PPTAP decode
echo 'https://urldefense.com/v3/__https://example.com/__;!!a!b$' | PPTAP_THREADS=2x $PPTAP decode
echo 'https://urldefense.com/v3/__https://example.com/__;!!a!b$' | PPTAP_THREADS=8 $PPTAP decode
echo 'https://urldefense.com/v3/__https://example.com/__;!!a!b$' | PPTAP_THREADS=9 $PPTAP decode
