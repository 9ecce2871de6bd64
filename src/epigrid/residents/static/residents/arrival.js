// The device's position, if the person allows it, places them in the right grid of the community.
(function () {
  "use strict";
  var lon = document.getElementById("id_lon");
  var lat = document.getElementById("id_lat");
  if (!lon || !lat || !navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    lon.value = p.coords.longitude.toFixed(6);
    lat.value = p.coords.latitude.toFixed(6);
  }, function () {}, { timeout: 8000 });
})();
