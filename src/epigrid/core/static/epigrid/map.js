/* The map of a jurisdiction: child divisions (or a community's grids) from /api/v1/map, coloured by a
   figure, with the legend's classes and the figure's date from the server. Clicking an area opens its
   map one level down (a grid: its page), coloured by the same figure. Without a tile URL (city intranets
   have no internet) the names of the areas and the outline of the district around them orient the reader. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var PALETTE = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"];
  var NO_DATA = "#cbd2d9";
  var hasTiles = !!el.dataset.tileUrl;
  var map = L.map(el, { zoomControl: true, attributionControl: hasTiles });
  map.setView([39.9, 116.4], 9);
  if (hasTiles) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var layer = null;
  var context = null;
  var legend = L.control({ position: "bottomright" });
  var status = document.getElementById("map-status");
  var asOf = document.getElementById("map-as-of");
  var list = document.getElementById("map-areas");
  var select = document.getElementById("figure");

  function classIndex(value, classes) {
    if (value === null || value === undefined || !classes.length) { return -1; }
    for (var i = 0; i < classes.length; i++) { if (value <= classes[i].max) { return i; } }
    return classes.length - 1;
  }
  function colourOf(i, n) {
    if (i < 0) { return NO_DATA; }
    return PALETTE[n > 1 ? Math.round(i * (PALETTE.length - 1) / (n - 1)) : 0];
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

  function showLegend(meta) {
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      div.setAttribute("data-testid", "map-legend");
      text(div, "strong", meta.label + (meta.unit ? " (" + meta.unit + ")" : ""));
      div.appendChild(document.createElement("br"));
      meta.classes.forEach(function (c, i) {
        var row = text(div, "span", "", "legend-class");
        var swatch = document.createElement("i");
        swatch.style.background = colourOf(i, meta.classes.length);
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(c.label));
        div.appendChild(document.createElement("br"));
      });
      text(div, "small", meta.as_of_text, "muted");
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

  function figureQuery() { return select ? "&figure=" + encodeURIComponent(select.value) : ""; }
  function target(f) {
    if (f.properties.kind === "grid") { return el.dataset.gridUrl.replace("000000000000000", f.properties.code); }
    return el.dataset.mapUrl + "?within=" + encodeURIComponent(f.properties.code) + figureQuery();
  }

  // The areas as a list of links, highest first: the same drill-down for a keyboard or a screen reader.
  function showList(data) {
    if (!list) { return; }
    list.textContent = "";
    var rows = data.features.slice().sort(function (a, b) { return (b.properties.value || 0) - (a.properties.value || 0); });
    rows.forEach(function (f) {
      var item = document.createElement("li");
      var link = text(item, "a", f.properties.name, "");
      link.href = target(f);
      link.setAttribute("data-code", f.properties.code);
      text(item, "span", " " + fmt(f.properties.value), "muted");
      list.appendChild(item);
    });
  }

  function showContext(meta) {
    if (context) { context.remove(); context = null; }
    if (hasTiles || !meta.context || !meta.context.length) { return; }
    context = L.geoJSON({ type: "FeatureCollection", features: meta.context }, {
      interactive: false,
      style: function () { return { color: "#627d98", weight: 2, dashArray: "6 4", fill: false }; },
      onEachFeature: function (f, l) {
        l.bindTooltip(f.properties.name, { permanent: true, direction: "top", className: "map-label map-label-context" });
      }
    }).addTo(map);
  }

  function load() {
    var url = el.dataset.layerUrl + figureQuery();
    if (status) { status.textContent = el.dataset.loading || "…"; }
    el.dataset.ready = "";
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var meta = data.meta;
        var n = meta.classes.length;
        var labelled = meta.kind === "division" || data.features.length <= 60;
        if (layer) { layer.remove(); }
        showContext(meta);
        layer = L.geoJSON(data, {
          style: function (f) {
            return { color: "#334e68", weight: 1, fillOpacity: 0.75,
                     fillColor: colourOf(classIndex(f.properties.value, meta.classes), n) };
          },
          onEachFeature: function (f, l) {
            if (labelled && !hasTiles) {
              var label = document.createElement("span");
              text(label, "span", f.properties.name);
              label.appendChild(document.createElement("br"));
              text(label, "b", fmt(f.properties.value));
              l.bindTooltip(label, { permanent: true, direction: "center", className: "map-label" });
            } else {
              l.bindTooltip(tooltip(f, meta));
            }
            l.on("add", function () {
              var path = l.getElement && l.getElement();
              if (path) { path.setAttribute("data-code", f.properties.code); path.setAttribute("data-level", f.properties.level); }
            });
            l.on("click", function () { window.location.href = target(f); });
          }
        }).addTo(map);
        el.dataset.featureCount = data.features.length;
        el.dataset.kind = meta.kind;
        if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
        if (data.features.length && n) { showLegend(meta); } else { legend.remove(); }
        if (asOf) { asOf.textContent = meta.as_of_text; }
        showList(data);
        if (status) {
          status.textContent = data.features.length + " " + (meta.kind === "grid" ? el.dataset.countGrids : el.dataset.countDivisions);
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
