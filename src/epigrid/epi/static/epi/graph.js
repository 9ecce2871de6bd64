/* The transmission graph (a person's chain, a cluster) drawn by ECharts from the JSON API, with the
   positions the server computed (layout "none": thousands of nodes draw at once). Nodes are coloured by
   classification, with a legend; the contacts toggle shows or hides people who are not cases; a click on
   a node opens the person's case, or their chain. No HTML is built from names: ECharts draws labels on
   the canvas, and the tooltip's text is escaped. */
(function () {
  'use strict';
  var el = document.getElementById('graph');
  if (!el || !window.echarts) { return; }
  var labels = JSON.parse(document.getElementById('graph-legend').textContent);
  var toggle = document.getElementById('graph-contacts');
  var COLOURS = {confirmed: '#c0392b', asymptomatic: '#e67e22', suspected: '#f1c40f', excluded: '#95a5a6',
                 contact: '#2e86de', masked: '#c8ccd0'};
  var ORDER = ['confirmed', 'asymptomatic', 'suspected', 'excluded', 'contact', 'masked'];
  var categories = ORDER.map(function (key) { return {name: labels[key], itemStyle: {color: COLOURS[key]}}; });
  var chart = echarts.init(el, null, {renderer: 'canvas'});
  var graph = null;

  function categoryOf(n) {
    if (n.masked) { return 'masked'; }
    return n.classification || 'contact';
  }

  function isContact(n) { return !n.member && !n.masked; }

  function href(n) {
    if (n.masked || !n.person) { return ''; }
    if (n.case) { return el.dataset.caseUrl.replace('CASE', n.case); }
    return el.dataset.chainUrl.replace('00000000-0000-0000-0000-000000000000', n.person);
  }

  function tooltip(p) {
    var enc = echarts.format.encodeHTML;
    if (p.dataType === 'node') {
      var n = p.data.raw;
      var text = enc(n.label) + '<br>' + enc(labels[categoryOf(n)] || '');
      if (n.generation) { text += ' · G' + enc(String(n.generation)); }
      if (n.no_known_source) { text += '<br>' + enc(labels.no_source); }
      return text;
    }
    var e = p.data.raw;
    return enc([e.kind, e.setting || e.evidence || '', e.first_date || '', e.last_date || ''].join(' '));
  }

  function render() {
    var showContacts = !toggle || toggle.checked;
    // Past a few hundred nodes: no labels, arrows or dashes (each costs the canvas a path per edge), and
    // styles set once for the series rather than per node.
    var many = graph.nodes.length > 300;
    var shown = {};
    var nodes = [];
    graph.nodes.forEach(function (n) {
      if (!showContacts && isContact(n)) { return; }
      shown[n.id] = true;
      var node = {id: n.id, name: n.label, x: n.x, y: n.y, raw: n, category: ORDER.indexOf(categoryOf(n)),
                  symbolSize: n.member ? (many ? 8 : 16) : (many ? 5 : 10)};
      if (n.no_known_source) { node.symbol = 'diamond'; }
      if (n.masked && !many) { node.label = {show: false}; }
      nodes.push(node);
    });
    var edges = [];
    graph.edges.forEach(function (e) {
      if (!shown[e.source] || !shown[e.target]) { return; }
      var edge = {source: e.source, target: e.target, raw: e};
      if (!many && e.kind !== 'link') { edge.lineStyle = {type: 'dashed'}; }
      edges.push(edge);
    });
    el.dataset.shown = String(nodes.length);
    chart.setOption({
      animation: false,
      tooltip: {formatter: tooltip, confine: true},
      legend: [{data: categories.map(function (c) { return c.name; }), top: 0}],
      series: [{
        type: 'graph', layout: 'none', roam: true, categories: categories, data: nodes, links: edges,
        edgeSymbol: many ? ['none', 'none'] : ['none', 'arrow'], edgeSymbolSize: 7, top: 40,
        symbol: 'circle', label: {show: !many, position: 'right', fontSize: 11},
        lineStyle: {opacity: 0.6, color: '#7f8c8d', width: many ? 0.5 : 1.5},
        emphasis: {focus: many ? 'none' : 'adjacency'}
      }]
    }, {notMerge: true});
  }

  chart.on('finished', function () {
    if (!graph) { return; }
    // Milliseconds from the navigation's start to the first complete drawing (bench/chains.py reads it).
    if (!el.dataset.drawnMs) { el.dataset.drawnMs = String(Math.round(performance.now())); }
    el.dataset.ready = '1';
  });
  chart.on('click', function (p) {
    if (p.dataType !== 'node') { return; }
    var target = href(p.data.raw);
    if (target) { window.location.assign(target); }
  });
  if (toggle) {
    toggle.addEventListener('change', function () { el.dataset.ready = '0'; render(); });
  }
  window.addEventListener('resize', function () { chart.resize(); });

  fetch(el.dataset.src, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (data) {
      graph = data;
      el.dataset.fetchedMs = String(Math.round(performance.now()));
      el.dataset.nodes = String(data.nodes.length);
      render();
    })
    .catch(function () {
      el.dataset.ready = 'error';
      el.textContent = el.dataset.failed;
    });
}());
