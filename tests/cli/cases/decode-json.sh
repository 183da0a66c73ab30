$PPTAP decode --json \
  'https://urldefense.com/v3/__https://x.com/**Aa*.html__;w60j!x$' \
  'https://urldefense.com/v3/__https://x.com/*__;_w!x' \
  'https://urldefense.com/v3/__a*__;I!' \
  'https://urldefense.com/v3/__https://lower.example.com/__;w6nqqq!!abcdefghijklmnopqrstuvwxyz0123456789abc$' \
  'plain text'
