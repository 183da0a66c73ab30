# Every version, then failures: output covers all inputs, exit 65.
$PPTAP decode \
  'https://urldefense.com/v3/__https://google.com:443/search?q=a*test&gs=ps__;Kw!-612Flbf0JvQ3kNJkRi5Jg!Ue6t$' \
  'https://urldefense.proofpoint.com/v2/url?u=http-3A__links.mkt3337.com_ctt-3Fkn-3D3-26ms-3D4&d=DwMFaQ&c=x' \
  'https://urldefense.proofpoint.com/v1/url?u=http://www.bouncycastle.org/&k=oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A&r=x' \
  'https://urldefense.us/v3/__https://pds.example.gov/x.json__;!!PvBDto6Hs4WbVuu7!abc$' \
  'https://www.example.com/not-wrapped' \
  'https://urldefense.com/v4/__x__;!a$' \
  'https://urldefense.com/v3/__https://x.com/*__;!!a$'
