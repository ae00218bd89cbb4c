// The reader's time zone, so that the server writes times in it: kept in a cookie the server
// reads (bot/api/page_zone.py). A page written in another zone is shown again, once.
(function () {
  "use strict";
  var written = document.currentScript && document.currentScript.getAttribute("data-zone");
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
  document.cookie = "guichet_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  if (written && written !== zone && !sessionStorage.getItem("guichet.zone-reload")) {
    sessionStorage.setItem("guichet.zone-reload", "1");
    location.reload();
  }
})();
