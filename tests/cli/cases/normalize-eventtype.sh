# NDJSON as 'pptap siem' prints it: "eventType" gives the type and is not
# part of the event; the ECS document of a click and of a message.
printf '%s\n' \
  '{"eventType":"clicksBlocked","id":"c-9","GUID":"G-9","clickTime":"2026-01-10T05:10:00.000Z","threatTime":"2026-01-10T05:30:00.000Z","clickIP":"192.0.2.7","senderIP":"198.51.100.2","url":"https://bad.example/x.php?u=1","classification":"phish","threatStatus":"active","recipient":"r@example.com","sender":"s@example.net","userAgent":"curl/8.0"}' \
  '{"eventType":"messages-blocked","id":"m-9","GUID":"G-8","messageTime":"2026-01-10T05:00:00.000Z","fromAddress":"s@example.net","toAddresses":["r@example.com"],"recipient":["r@example.com","t@example.com"],"messageID":"<x@example.net>","malwareScore":"100","impostorScore":0,"quarantineFolder":"Malware","threatsInfoMap":[{"threatID":"t-1","threat":"bad.example","threatType":"url","threatTime":"2026-01-10T05:01:00.000Z","campaignID":"k-1"}]}' |
  $PPTAP normalize --format ecs
