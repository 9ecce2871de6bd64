// A patrol's track and its grid's checkpoints on a small map (WGS-84, as stored).
(function () {
  "use strict";
  const el = document.getElementById("track");
  if (!el || !window.L) return;
  const track = JSON.parse(el.dataset.track);
  const checkpoints = JSON.parse(el.dataset.checkpoints || "[]");
  const map = L.map(el, { zoomControl: true });
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  const latlngs = track.coordinates.map((c) => [c[1], c[0]]);
  const layers = [];
  if (latlngs.length) layers.push(L.polyline(latlngs, { color: "#0b6e4f", weight: 4 }).addTo(map));
  checkpoints.forEach((c) => layers.push(L.circle([c.lat, c.lon], { radius: c.radius_m, color: "#d97706" })
    .bindTooltip(c.name).addTo(map)));
  if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.2));
  else map.setView([39.9, 116.4], 12);
  el.dataset.ready = "1";
})();
