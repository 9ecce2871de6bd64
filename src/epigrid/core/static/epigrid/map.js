/* The map of a jurisdiction: grid (or division) polygons from /api/v1/map, coloured by a figure.
   No base map unless the install configures a tile URL (city intranets have no internet). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var PALETTE = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];
  var NO_DATA = "#cbd2d9";
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tileUrl });
  map.setView([39.9, 116.4], 9);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var layer = null;
  var legend = L.control({ position: "bottomright" });
  var status = document.getElementById("map-status");
  var select = document.getElementById("figure");

  function breaks(values) {
    var v = values.filter(function (x) { return x !== null; }).sort(function (a, b) { return a - b; });
    if (!v.length) { return []; }
    var out = [];
    for (var i = 1; i < PALETTE.length; i++) { out.push(v[Math.floor(i * (v.length - 1) / PALETTE.length)]); }
    return out;
  }
  function colour(value, cuts) {
    if (value === null || value === undefined) { return NO_DATA; }
    var i = 0;
    while (i < cuts.length && value > cuts[i]) { i++; }
    return PALETTE[i];
  }
  function fmt(x) { return x === null || x === undefined ? (el.dataset.noData || "—") : (Math.round(x * 100) / 100).toLocaleString(); }

  // Every piece of text goes in with textContent (names come from imported files; labels from the
  // server), and colours through element.style, which the CSP allows where a style attribute is not.
  function text(parent, tag, value, className) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    node.textContent = value;
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function showLegend(meta, cuts) {
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      text(div, "strong", meta.label + (meta.unit ? " (" + meta.unit + ")" : ""));
      div.appendChild(document.createElement("br"));
      var lo = null;
      for (var i = 0; i < PALETTE.length; i++) {
        var hi = i < cuts.length ? cuts[i] : null;
        var swatch = document.createElement("i");
        swatch.style.background = PALETTE[i];
        div.appendChild(swatch);
        div.appendChild(document.createTextNode(lo === null ? "≤ " + fmt(hi) : (hi === null ? "> " + fmt(lo) : fmt(lo) + " – " + fmt(hi))));
        div.appendChild(document.createElement("br"));
        lo = hi;
        if (!cuts.length) { break; }
      }
      return div;
    };
    legend.remove();
    legend.addTo(map);
  }

  function tooltip(f, meta) {
    var box = document.createElement("span");
    text(box, "span", f.properties.name + " · " + f.properties.code, "tooltip-name");
    box.appendChild(document.createElement("br"));
    text(box, "span", meta.label + ": " + fmt(f.properties.value));
    return box;
  }

  function load() {
    var url = el.dataset.layerUrl + (select ? "&figure=" + encodeURIComponent(select.value) : "");
    if (status) { status.textContent = el.dataset.loading || "…"; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var cuts = breaks(data.features.map(function (f) { return f.properties.value; }));
        if (layer) { layer.remove(); }
        layer = L.geoJSON(data, {
          style: function (f) {
            return { color: "#334e68", weight: 1, fillOpacity: 0.7, fillColor: colour(f.properties.value, cuts) };
          },
          onEachFeature: function (f, l) {
            l.bindTooltip(tooltip(f, data.meta));
            l.on("click", function () {
              if (f.properties.kind === "grid") {
                window.location.href = el.dataset.gridUrl.replace("000000000000000", f.properties.code);
              } else {
                window.location.href = el.dataset.mapUrl + "?within=" + encodeURIComponent(f.properties.code) + (select ? "&figure=" + encodeURIComponent(select.value) : "");
              }
            });
          }
        }).addTo(map);
        el.dataset.featureCount = data.features.length;
        if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
        if (data.features.length > 1) { showLegend(data.meta, cuts); } else { legend.remove(); }
        if (status) {
          status.textContent = data.features.length + " " + (data.meta.kind === "grid" ? el.dataset.countGrids : el.dataset.countDivisions);
        }
        el.dataset.ready = "1";
      })
      .catch(function (err) { if (status) { status.textContent = "⚠ " + err.message; } });
  }

  if (select) {
    select.addEventListener("change", function () {
      var u = new URL(window.location.href);
      u.searchParams.set("figure", select.value);
      window.history.replaceState(null, "", u);
      load();
    });
  }
  load();
})();
