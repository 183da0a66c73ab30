# One link per line on stdin; CRLF line ends and blank lines; control bytes escaped.
printf '%s\r\n\r\n  %s  \n%s' \
  'https://urldefense.com/v3/__https://contact.framasoft.org/*newsletter__;Iw!!LIr3w8kk_Xxm!6BNqFLJ$' \
  'https://urldefense.com/v3/__https://e.com/*a*b__;CiA!!a!b$' \
  'https://urldefense.proofpoint.com/v2/url?u=https-3A__e.com_-C3-A9t-C3-A9&d=DwMFaQ' | $PPTAP decode
