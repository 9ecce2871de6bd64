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

  // The location line tells what the browser really gave: waiting (no fix yet), located (with its
  // accuracy), denied (permission refused) or unavailable (no fix, or no geolocation at all).
  function locState(state, accuracy) {
    const el = $("patrol-location");
    el.hidden = !state;
    el.dataset.state = state;
    if (!state) { el.textContent = ""; return; }
    const key = "msgLoc" + state.charAt(0).toUpperCase() + state.slice(1);
    el.textContent = box.dataset[key] + (accuracy === undefined ? "" : " (±" + Math.round(accuracy) + " m)");
  }

  function onPosition(pos) {
    locState("located", pos.coords.accuracy);
    const q = load();
    q.push({ lon: pos.coords.longitude, lat: pos.coords.latitude, t: new Date(pos.timestamp || Date.now()).toISOString(),
             accuracy: pos.coords.accuracy });
    save(q);
    if (q.length >= BATCH) flush();
  }

  function onError(err) {
    // PERMISSION_DENIED is final; a timeout or an unavailable position may still end in a fix.
    locState(err && err.code === 1 ? "denied" : "unavailable");
  }

  function watch() {
    if (!navigator.geolocation) { locState("unavailable"); return; }
    locState("waiting");
    watchId = navigator.geolocation.watchPosition(onPosition, onError,
                                                  { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  $("patrol-start").addEventListener("click", async () => {
    const grid = $("patrol-grid");
    const start = $("patrol-start");
    start.disabled = true;  // one tap, one patrol (the client id makes a retry harmless too)
    let r, out;
    try {
      r = await post(api + "/patrols", { client_id: box.dataset.clientId, grid_code: grid ? grid.value : null });
      out = await r.json();
    } catch (e) {
      status(box.dataset.msgOffline);
      return;
    } finally {
      start.disabled = false;
    }
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
    watchId = null;
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
