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
  // The view is set from plain coordinates before any layer is added: a circle measures its bounds
  // through the map it is on, and a map without a view holds its layers back, so asking the circles
  // for their bounds first crashed the page (layerPointToLatLng of undefined).
  const bounds = L.latLngBounds(latlngs);
  checkpoints.forEach((c) => bounds.extend(L.latLng(c.lat, c.lon).toBounds(2 * c.radius_m)));
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.2));
  else map.setView([39.9, 116.4], 12);
  if (latlngs.length) L.polyline(latlngs, { color: "#0b6e4f", weight: 4 }).addTo(map);
  checkpoints.forEach((c) => {
    // A checkpoint's name is whatever a manager typed: shown as text, never parsed as HTML.
    const label = document.createElement("span");
    label.textContent = c.name;
    L.circle([c.lat, c.lon], { radius: c.radius_m, color: "#d97706", className: "checkpoint" })
      .bindTooltip(label).addTo(map);
  });
  el.dataset.ready = "1";
})();
