// The patrol button: start, collect positions from the browser, send them in batches of 10 (kept in
// localStorage until the server has them, so a dead zone or a reload loses nothing), end.
(function () {
  "use strict";
  const box = document.getElementById("patrol");
  if (!box) return;
  const api = box.dataset.api;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const BATCH = 10;
  let patrolId = box.dataset.patrolId || "";
  let watchId = null;
  let sending = false;
  let sent = parseInt($("stat-points").textContent, 10) || 0;

  const key = () => "epigrid-patrol-points-" + patrolId;
  const load = () => JSON.parse(localStorage.getItem(key()) || "[]");
  const save = (q) => { localStorage.setItem(key(), JSON.stringify(q)); $("stat-queued").textContent = q.length; };

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    });
  }

  function status(text) { $("patrol-status").textContent = text; }

  async function flush() {
    if (sending || !patrolId) return;
    let queue = load();
    if (!queue.length) return;
    sending = true;
    try {
      const batch = queue.slice(0, 100);
      const r = await post(api + "/patrols/" + patrolId + "/points", { points: batch });
      if (r.ok || r.status === 400) {
        // 400: a bad point (a clock far off); the server stored none of the batch, so drop it rather
        // than send it for ever.
        queue = load().slice(batch.length);
        save(queue);
      }
      if (r.ok) {
        const out = await r.json();
        sent += out.stored;
        $("stat-points").textContent = sent;
        const cp = $("stat-checkpoints").textContent.split("/");
        $("stat-checkpoints").textContent = out.checkpoints_visited + "/" + (cp[1] || 0);
        status(box.dataset.msgStarted);
      }
    } catch (e) {
      status(box.dataset.msgOffline);
    } finally {
      sending = false;
    }
    if (load().length >= BATCH) flush();
  }

  function onPosition(pos) {
    const q = load();
    q.push({ lon: pos.coords.longitude, lat: pos.coords.latitude, t: new Date(pos.timestamp || Date.now()).toISOString(),
             accuracy: pos.coords.accuracy });
    save(q);
    if (q.length >= BATCH) flush();
  }

  function watch() {
    if (!navigator.geolocation) { status(box.dataset.msgNoloc); return; }
    watchId = navigator.geolocation.watchPosition(onPosition, () => status(box.dataset.msgNoloc),
                                                  { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  $("patrol-start").addEventListener("click", async () => {
    const grid = $("patrol-grid");
    const r = await post(api + "/patrols", { client_id: box.dataset.clientId, grid_code: grid ? grid.value : null });
    const out = await r.json();
    if (!r.ok) { status(out.detail); return; }
    patrolId = String(out.id);
    box.dataset.patrolId = patrolId;
    $("stat-checkpoints").textContent = "0/" + out.checkpoints_planned;
    $("patrol-start").hidden = true;
    $("patrol-end").hidden = false;
    status(box.dataset.msgStarted);
    watch();
  });

  $("patrol-end").addEventListener("click", async () => {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    while (load().length) {
      const before = load().length;
      await flush();
      if (load().length >= before) break; // offline: the points stay queued for the next visit
    }
    const r = await post(api + "/patrols/" + patrolId + "/end", {});
    if (r.ok) window.location.href = box.dataset.patrolUrl.replace("/0/", "/" + patrolId + "/");
  });

  setInterval(flush, 15000);
  if (patrolId) { save(load()); watch(); flush(); }
})();
