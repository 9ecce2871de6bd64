// Fill the report's position from the browser (WGS-84, as the Geolocation API gives it).
(function () {
  "use strict";
  const note = document.getElementById("position");
  const lon = document.getElementById("id_lon");
  const lat = document.getElementById("id_lat");
  if (!note || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition((pos) => {
    lon.value = pos.coords.longitude;
    lat.value = pos.coords.latitude;
    note.textContent = note.dataset.ok + " (±" + Math.round(pos.coords.accuracy) + " m)";
    note.dataset.ready = "1";
  }, () => { if (!lon.value) note.textContent = note.dataset.fail; },
  { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
})();
